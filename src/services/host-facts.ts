/**
 * What the host offers (spec §4.2 steps 3-4): its OS, online CPUs, physical memory, the total
 * size of the filesystem holding `<dbdir>/block`, its bridges; the root policy is composed
 * from them.
 */
import { Context, Data, Effect } from "effect"
import type { Policy } from "../domain/policy.js"

export class HostFactsError extends Data.TaggedError("HostFactsError")<{ readonly message: string }> {}

/** `uname -s` output; clients also accept Darwin. */
export type HostOs = "Linux" | "FreeBSD" | "Darwin"

export interface HostFactsService {
  /** `uname -s`, trimmed (fails on an OS albatross does not know). */
  readonly os: Effect.Effect<HostOs, HostFactsError>
  /** Spec §4.2 step 3: `uname`, and `ip`+`taskset` (Linux) or `ifconfig`+`cpuset` (FreeBSD) on PATH; fails naming the first missing one. */
  readonly checkTools: Effect.Effect<void, HostFactsError>
  readonly onlineCpus: Effect.Effect<number, HostFactsError>
  /** Physical memory in MB (2^20 bytes), rounded down. */
  readonly memoryMb: Effect.Effect<number, HostFactsError>
  /** Total (not free) size in MB of the filesystem holding `<dbdir>/block`. */
  readonly blockFilesystemMb: Effect.Effect<number, HostFactsError>
  /** All bridges, ascending without duplicates. */
  readonly bridges: Effect.Effect<ReadonlyArray<string>, HostFactsError>
}

export class HostFacts extends Context.Tag("albatross/HostFacts")<HostFacts, HostFactsService>() {}

/** OCaml's `max_int` on 64-bit: the unikernel count of the discovered root policy. */
export const MAX_UNIKERNELS = (1n << 62n) - 1n

/** Spec §4.2 step 4; a failure reads `root policy failed: <cause>`. */
export const rootPolicy: Effect.Effect<Policy, HostFactsError, HostFacts> = Effect.gen(function* () {
  const facts = yield* HostFacts
  const cpus = yield* facts.onlineCpus
  const memory = yield* facts.memoryMb
  const block = yield* facts.blockFilesystemMb
  const bridges = yield* facts.bridges
  return {
    unikernels: MAX_UNIKERNELS,
    cpuids: Array.from({ length: cpus }, (_, i) => i),
    memory,
    block,
    bridges
  }
}).pipe(Effect.mapError((e) => new HostFactsError({ message: `root policy failed: ${e.message}` })))
