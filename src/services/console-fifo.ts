/**
 * The console FIFOs of unikernels (spec §7.2): `<tmpdir>/fifo/<name>`, created by albatrossd,
 * written by the hypervisor, read by albatross-console.
 */
import { Context, Data, type Effect, type Stream } from "effect"

export class FifoError extends Data.TaggedError("FifoError")<{ readonly path: string; readonly message: string }> {}

export interface ConsoleFifoService {
  /**
   * Opens the FIFO for reading without blocking (no writer needs to be there yet) and returns
   * what is written to it, chunk by chunk, until every writer has closed it (the process exited).
   * The FIFO is closed when the stream ends or is interrupted.
   */
  readonly open: (path: string) => Effect.Effect<Stream.Stream<Uint8Array, FifoError>, FifoError>
}

export class ConsoleFifo extends Context.Tag("albatross/ConsoleFifo")<ConsoleFifo, ConsoleFifoService>() {}
