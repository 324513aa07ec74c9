/**
 * The console FIFO of a unikernel, `<tmpdir>/fifo/<name>` (spec §1.4, §5.6): the tender's
 * stdin/stdout/stderr, read by albatross-console.
 */
import { Context, Data, type Effect } from "effect"

export class FifoError extends Data.TaggedError("FifoError")<{ readonly message: string }> {}

export interface FifoService {
  /**
   * Creates the FIFO with mode 0640 unless a FIFO already exists there.
   * Errors: `file <path> exists and is not a fifo`, `file <path> error in mkfifo: <errno text>`.
   */
  readonly create: (path: string) => Effect.Effect<void, FifoError>
  /** Removes it; a missing file is not an error. */
  readonly remove: (path: string) => Effect.Effect<void, FifoError>
}

export class Fifo extends Context.Tag("albatross/Fifo")<Fifo, FifoService>() {}
