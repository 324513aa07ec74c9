/**
 * What albatrossd needs from the host, as one port (spec §5). The daemon's logic (create,
 * supervision, commands) is written against this port only; `host-live.ts` builds it from the
 * host services, the tests build an in-memory one. Keeping the port narrow is what lets the
 * create flow own its cleanup (a half-made unikernel releases exactly what it made).
 */
import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { Policy } from "../../domain/policy.js"
import type { ProcessExit } from "../../domain/process-exit.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import type { Name } from "../../domain/name.js"
import type { PersistedState } from "../../domain/wire.js"
import type { BhyveBoot } from "../../services/tender.js"

export type { BhyveBoot }

export class HostError extends Data.TaggedError("HostError")<{ readonly message: string }> {}

/** A unikernel image after the checks of spec §5.4-5.5. */
export interface CheckedImage {
  /** The uncompressed image (empty for bhyve). */
  readonly image: Uint8Array
  /** SHA-256 of the uncompressed image (Solo5) or the VM name (bhyve). */
  readonly digest: Uint8Array
  /** The tender to run (path or name looked up on PATH); bhyve: "bhyve". */
  readonly tender: string
}

/** A spawned tender (or bhyve). */
export interface TenderProcess {
  readonly pid: number
  /** Completes once, with how the process ended. */
  readonly exit: Effect.Effect<ProcessExit>
  /** SIGTERM (errors only logged by the implementation). */
  readonly terminate: Effect.Effect<void>
  /** SIGKILL, for a tender that ignored SIGTERM for too long. */
  readonly kill: Effect.Effect<void>
}

export interface BlockFile {
  readonly name: Name
  /** Size in MB. */
  readonly size: number
}

export interface VmmHost {
  /** Spec §4.2 step 4: cpus, memory, filesystem size of the block dir, bridges. */
  readonly rootPolicy: Effect.Effect<Policy, HostError>
  /** Spec §5.4-5.5: inflate, digest, target/ABI, tender lookup and `--version`, manifest. */
  readonly checkImage: (name: Name, config: UnikernelConfig) => Effect.Effect<CheckedImage, HostError>
  /** Manifest check alone (restart with new arguments, spec §4.4). */
  readonly checkManifest: (config: UnikernelConfig) => Effect.Effect<void, HostError>
  /** Atomic write, mode 0644. */
  readonly writeImage: (path: string, image: Uint8Array) => Effect.Effect<void, HostError>
  readonly removeFile: (path: string) => Effect.Effect<void, HostError>
  /** Spec §5.2: `interface <bridge> does not exist`. */
  readonly checkBridge: (bridge: string) => Effect.Effect<void, HostError>
  /** Spec §5.6 FIFO rules. */
  readonly createFifo: (path: string) => Effect.Effect<void, HostError>
  /** Spec §5.1: returns the tap name. */
  readonly createTap: (bridge: string) => Effect.Effect<string, HostError>
  readonly destroyTap: (tap: string) => Effect.Effect<void, HostError>
  /** The full command line (spec §5.6), spawned with the FIFO as stdin/stdout/stderr. */
  readonly spawn: (argv: ReadonlyArray<string>, fifo: string) => Effect.Effect<TenderProcess, HostError>
  /** Spec §5.6: `bhyveload` or `grub-bhyve` for a VM. */
  readonly bootBhyve: (boot: BhyveBoot) => Effect.Effect<void, HostError>
  /** `bhyvectl --destroy --vm=<vm>`. */
  readonly destroyBhyve: (vm: string) => Effect.Effect<void, HostError>
  /** Host system name for command lines: taskset (Linux) or cpuset (FreeBSD). */
  readonly os: "linux" | "freebsd"
  /** Block files found under `<dbdir>/block` (spec §4.2 step 2); unusable ones are logged and skipped. */
  readonly discoverBlocks: Effect.Effect<ReadonlyArray<BlockFile>, HostError>
  /** Spec §5.8: create with optional content, truncated to `size` MB. */
  readonly createBlock: (name: Name, size: number, data: Option.Option<Uint8Array>) => Effect.Effect<void, HostError>
  readonly removeBlock: (name: Name) => Effect.Effect<void, HostError>
  /**
   * Replace the content with `chunks` (inflated when `compressed`); more than `size` MB fails
   * with `stream exceeds size`; then the file is truncated/extended to `size` MB.
   */
  readonly setBlock: (
    name: Name,
    size: number,
    compressed: boolean,
    chunks: Stream.Stream<Uint8Array, HostError>
  ) => Effect.Effect<void, HostError>
  /** The content, deflated at `level` when level > 0, in chunks of at most 65536 bytes. */
  readonly dumpBlock: (name: Name, level: number) => Stream.Stream<Uint8Array, HostError>
  /** `None` when there is no state file. */
  readonly readState: Effect.Effect<Option.Option<PersistedState>, HostError>
  /** Atomic: previous `state` becomes `state.bak`; on disk when this completes. */
  readonly writeState: (state: PersistedState) => Effect.Effect<void, HostError>
  /** Copy `state` to `state.started` (errors only logged). */
  readonly snapshotStarted: Effect.Effect<void>
}

export class Host extends Context.Tag("albatrossd/Host")<Host, VmmHost>() {}
