/**
 * The state albatrossd keeps while it runs (spec §3.2, §2.6) and the services its command
 * handlers share. Everything mutable here is touched under `lock` (the reference's global mutex),
 * except the supervision fibers, which take the lock only for short steps and never hold it
 * while waiting for a process to exit.
 */
import { Effect, type FiberMap } from "effect"
import { Name } from "../../domain/name.js"
import type { Policy } from "../../domain/policy.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import type { NamedConfig, PersistedState } from "../../domain/wire.js"
import { Accounting, keyOf, preOrder } from "./accounting.js"
import type { TapAssignment } from "./cmdline.js"
import type { ConsoleLink } from "./console-link.js"
import type { TenderProcess, VmmHost } from "./host.js"
import type { DaemonOptions } from "./options.js"
import type { StatsLink } from "./stats-link.js"

/** A unikernel whose tender runs. */
export interface Running {
  readonly name: Name
  readonly config: UnikernelConfig
  readonly process: TenderProcess
  readonly taps: ReadonlyArray<TapAssignment>
  readonly digest: Uint8Array
  readonly started: Date
  readonly argv: ReadonlyArray<string>
  /** bhyve: the VM name (destroyed with bhyvectl on exit). */
  readonly vm: string | undefined
  /** Set once its resources are released (release is idempotent). */
  released: boolean
}

/** A unikernel the daemon is responsible for: running, or waiting for an automatic restart. */
export interface Supervised {
  readonly name: Name
  config: UnikernelConfig
  running: Running | undefined
}

export interface Daemon {
  readonly options: DaemonOptions
  readonly host: VmmHost
  readonly acc: Accounting
  readonly supervised: Map<string, Supervised>
  readonly lock: Effect.Semaphore
  readonly fibers: FiberMap.FiberMap<string>
  readonly console: ConsoleLink
  readonly stats: StatsLink
  rootPolicy: Policy
  shuttingDown: boolean
  /** Block devices whose content a Block_set stream is replacing: in use for everything else. */
  readonly blocksBeingSet: Set<string>
}

export const nameKey = (name: Name): string => keyOf(name.key())

export const locked = <A, E, R>(d: Daemon, eff: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => d.lock.withPermits(1)(eff)

/**
 * What `<dbdir>/state` holds: every supervised unikernel's configuration and every policy, trie
 * pre-order. With `adding`, that unikernel is listed with its new configuration (a create
 * persists the state that lists it before it is supervised).
 */
export const persistedState = (d: Daemon, adding?: NamedConfig): PersistedState => {
  const replaced = adding === undefined ? undefined : nameKey(adding.name)
  // each trie key computed once, not once per comparison of the sort
  const keyed: Array<{ readonly entry: NamedConfig; readonly key: ReadonlyArray<string> }> = []
  for (const [k, s] of d.supervised) if (k !== replaced) keyed.push({ entry: { name: s.name, config: s.config }, key: s.name.key() })
  if (adding !== undefined) keyed.push({ entry: adding, key: adding.name.key() })
  keyed.sort((a, b) => preOrder(a.key, b.key))
  return {
    unikernels: keyed.map((k) => k.entry),
    policies: d.acc.policyEntries().map((p) => ({ name: p.name, policy: p.policy }))
  }
}

/** Write the state file (not while shutting down: it must keep listing what ran). Errors are logged. */
export const dumpState = (d: Daemon): Effect.Effect<void> =>
  Effect.suspend(() =>
    d.shuttingDown
      ? Effect.void
      : d.host.writeState(persistedState(d)).pipe(Effect.catchAll((e) => Effect.logError(`failed to write state: ${e.message}`)))
  )
