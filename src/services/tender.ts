/**
 * The process that runs a unikernel (spec §5.4 steps 4-5, §5.6, §5.7): Solo5 tender lookup and
 * its `--version` ABI check, the bhyve boot loader and cleanup, spawning with the console FIFO
 * as stdin/stdout/stderr, SIGTERM. The command lines themselves are pure functions in
 * `tender-argv.ts`.
 */
import { Context, Data, type Effect } from "effect"
import type { ProcessExit } from "../domain/process-exit.js"

export class TenderError extends Data.TaggedError("TenderError")<{ readonly message: string }> {}

/** A spawned tender, bhyve, or (in tests) any process. */
export interface TenderHandle {
  readonly pid: number
  /** Wall clock at spawn. */
  readonly started: Date
  /** Completes once, when the process ended; may be awaited any number of times. */
  readonly exit: Effect.Effect<ProcessExit>
  /** `kill(pid, SIGTERM)`; a process already gone is not an error (errors are logged). */
  readonly terminate: Effect.Effect<void>
  /** SIGKILL, for a process that ignored SIGTERM; a process already gone is not an error. */
  readonly kill: Effect.Effect<void>
}

export interface BhyveBoot {
  /** VM name, `alba-<n>`. */
  readonly vm: string
  /** MB. */
  readonly memory: number
  /** Host device of block `"0"`. */
  readonly disk0: string
  readonly linuxBootPartition: string | null
}

export interface TenderService {
  /**
   * Spec §5.4 steps 4-5: `<dbdir>/<base>.<abi>`, `<base>.<abi>` on PATH, `<dbdir>/<base>`,
   * `<base>` on PATH; the first one found must print `ABI version <abi>` for `--version`.
   * Returns the dbdir path or the bare name (spawned through PATH).
   * Errors: `tender does not exist, looked for ...`,
   * `unexpected solo5 tender --version output, expected one line with 'ABI version <n>', got <output>`.
   */
  readonly lookup: (target: "hvt" | "spt", abi: number) => Effect.Effect<string, TenderError>
  /** Spec §5.6: `timeout 1s bhyveload ...` or `timeout 1s grub-bhyve ...` with a temporary device map. */
  readonly bootBhyve: (boot: BhyveBoot) => Effect.Effect<void, TenderError>
  /** `bhyvectl --destroy --vm=<vm>`. */
  readonly destroyBhyve: (vm: string) => Effect.Effect<void, TenderError>
  /**
   * Opens `fifo` write-only|append (blocks until a reader has it open, as the reference does)
   * and spawns `argv` (argv[0] via PATH) with it as stdin, stdout and stderr.
   * Error: `cmd <cmdline> exits: <errno text>`.
   */
  readonly spawn: (argv: ReadonlyArray<string>, fifo: string) => Effect.Effect<TenderHandle, TenderError>
}

export class Tender extends Context.Tag("albatross/Tender")<Tender, TenderService>() {}
