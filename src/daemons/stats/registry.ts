/**
 * The state of albatross-stats (spec §8.2, §8.3): registered unikernels (name → pid, taps,
 * VMM device) and subscriptions (one per name), plus the sampling tick.
 *
 * Mutable on purpose: the daemon is one process on one thread and this is its hot path; every
 * method runs inside one synchronous Effect step, so no two steps interleave on it.
 */
import { Effect } from "effect"
import { Name } from "../../domain/name.js"
import type { IfData, Stats, VmmStat } from "../../domain/stats.js"
import type { Wire } from "../../domain/wire.js"
import type { StatsTap } from "../../domain/command.js"
import { InterfaceStats, type InterfaceWatch } from "../../services/interface-stats.js"
import { ProcessStats, ProcessStatsError, type ProcessWatch } from "../../services/process-stats.js"
import { VmmStats, type VmmHandle } from "../../services/vmm-stats.js"

/** Where a subscription's messages go: one per subscribed connection. */
export interface SubscriberSink {
  readonly id: number
  /** Queue a message; never blocks the tick. */
  readonly send: (wire: Wire) => void
  /** Close the connection (the subscription was replaced, or its writes failed). */
  readonly close: Effect.Effect<void>
}

interface Nic {
  /** Unikernel-side interface name: what the `bridge` field of the ifdata carries. */
  readonly netif: string
  readonly watch: InterfaceWatch
}

type VmmState =
  | { readonly _tag: "Pending"; readonly attemptsLeft: number }
  | { readonly _tag: "Open"; readonly handle: VmmHandle }

interface Registration {
  readonly name: Name
  readonly key: string
  /** Keys of the name and of all its ancestor paths, root first: where subscribers may sit. */
  readonly prefixes: ReadonlyArray<string>
  readonly pid: number
  readonly vmmdev: string
  readonly process: ProcessWatch | ProcessStatsError
  readonly nics: ReadonlyArray<Nic>
  vmm: VmmState
  /** Name relative to a subscriber's path, by that path's length: computed once. */
  readonly relative: Map<number, Name>
}

interface Subscription {
  readonly name: Name
  readonly version: number
  readonly sink: SubscriberSink
}

/** Attempts at opening a VMM device, one per tick, before giving up (spec §8.3). */
export const VMM_OPEN_ATTEMPTS = 4

const DEVFS_HINT =
  "HINT: are the VMM devices readable by the albatross user? Did you add a local devfs ruleset 'add path 'vmm/*' mode 0660 group albatross' to /etc/devfs.rules, enable it in /etc/rc.conf and did a 'service devfs restart'?"

const keyOf = (labels: ReadonlyArray<string>): string => labels.join(":")

const prefixesOf = (name: Name): ReadonlyArray<string> => {
  const key = name.key()
  const out: Array<string> = []
  for (let i = 0; i <= key.length; i++) out.push(keyOf(key.slice(0, i)))
  return out
}

const nicsText = (taps: ReadonlyArray<StatsTap>) => taps.map((t) => `${t.bridge}: ${t.tap}`).join(", ")

export const makeRegistry = (options: { readonly gatherBhyve: boolean }) =>
  Effect.gen(function* () {
    const processes = yield* ProcessStats
    const interfaces = yield* InterfaceStats
    const vmms = yield* VmmStats
    const registrations = new Map<string, Registration>()
    const subscriptions = new Map<string, Subscription>()
    let vmmHintShown = false

    const closeRegistration = (r: Registration): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (!(r.process instanceof ProcessStatsError)) yield* r.process.close
        for (const nic of r.nics) yield* nic.watch.close
        if (r.vmm._tag === "Open") yield* r.vmm.handle.close
      })

    const remove = (name: Name): Effect.Effect<void> =>
      Effect.gen(function* () {
        const key = keyOf(name.key())
        const r = registrations.get(key)
        yield* Effect.logInfo(`removing vmid ${name.toString()}`)
        if (r === undefined) {
          yield* Effect.logWarning(`no pid found for ${name.toString()}`)
          return
        }
        registrations.delete(key)
        yield* Effect.logInfo(`removing pid ${r.pid}`)
        yield* closeRegistration(r)
      })

    const add = (name: Name, vmmdev: string, pid: number, taps: ReadonlyArray<StatsTap>): Effect.Effect<void> =>
      Effect.gen(function* () {
        const key = keyOf(name.key())
        const previous = registrations.get(key)
        if (previous !== undefined) {
          // the reference asserts here and dies; a re-registration replaces the old one
          yield* Effect.logWarning(`${name.toString()} was already registered (pid ${previous.pid}), replacing it`)
          registrations.delete(key)
          yield* closeRegistration(previous)
        }
        const nics: Array<Nic> = []
        for (const t of taps) {
          const watch = yield* Effect.either(interfaces.watch(t.tap))
          if (watch._tag === "Right") nics.push({ netif: t.bridge, watch: watch.right })
          else yield* Effect.logDebug(`failed to get ifindex for: ${JSON.stringify(t.tap)} (${watch.left.message})`)
        }
        // a process that is already gone is kept until its first sampling, which drops it with a log line
        const process = yield* Effect.merge(processes.watch(pid))
        yield* Effect.logInfo(`adding ${name.toString()} ${pid} ${nicsText(taps)}`)
        registrations.set(key, {
          name,
          key,
          prefixes: prefixesOf(name),
          pid,
          vmmdev,
          process,
          nics,
          vmm: { _tag: "Pending", attemptsLeft: VMM_OPEN_ATTEMPTS },
          relative: new Map()
        })
      })

    /** Registrations only: subscriptions are about names and outlive the link to albatrossd. */
    const clearRegistrations: Effect.Effect<void> = Effect.gen(function* () {
      const all = [...registrations.values()]
      registrations.clear()
      for (const r of all) yield* closeRegistration(r)
    })

    const subscribe = (name: Name, version: number, sink: SubscriberSink): Effect.Effect<void> =>
      Effect.gen(function* () {
        const key = keyOf(name.key())
        const previous = subscriptions.get(key)
        subscriptions.set(key, { name, version, sink })
        // one subscriber per name: the previous one is closed and replaced
        if (previous !== undefined && previous.sink.id !== sink.id) yield* previous.sink.close
      })

    /** Forget every subscription held by `sink` (its connection ended or a write failed). */
    const dropSink = (sink: SubscriberSink): Effect.Effect<void> =>
      Effect.sync(() => {
        for (const [key, s] of subscriptions) if (s.sink.id === sink.id) subscriptions.delete(key)
      })

    const relativeName = (r: Registration, pathLength: number, subscriber: Name): Name => {
      let n = r.relative.get(pathLength)
      if (n === undefined) {
        n = r.name.dropPrefix(subscriber.path) ?? r.name
        r.relative.set(pathLength, n)
      }
      return n
    }

    const openVmm = (r: Registration): Effect.Effect<void> => {
      const state = r.vmm
      if (state._tag === "Open") return Effect.void
      if (state.attemptsLeft === 0) {
        if (vmmHintShown) return Effect.void
        vmmHintShown = true
        return Effect.logError(DEVFS_HINT)
      }
      return Effect.matchEffect(vmms.open(r.vmmdev), {
        onFailure: (e) => {
          const left = Math.max(0, state.attemptsLeft - 1)
          r.vmm = { _tag: "Pending", attemptsLeft: left }
          return Effect.logWarning(`(ignored, ${left} attempts left) vmmapi_open failed for ${r.vmmdev}: ${e.message}`)
        },
        onSuccess: (handle) => {
          r.vmm = { _tag: "Open", handle }
          return Effect.logInfo(`vmmapi_open succeeded for ${r.vmmdev}`)
        }
      })
    }

    const gather = (r: Registration, watch: ProcessWatch) =>
      Effect.gen(function* () {
        const sample = yield* watch.sample
        let vmm: ReadonlyArray<VmmStat> | null = null
        if (r.vmm._tag === "Open") {
          const v = yield* Effect.either(r.vmm.handle.sample)
          if (v._tag === "Right") vmm = v.right
          else yield* Effect.logError(`vmm statistics of ${r.vmmdev}: ${v.left.message}`)
        }
        const ifdata: Array<IfData> = []
        // the reference lists the interfaces last to first
        for (let i = r.nics.length - 1; i >= 0; i--) {
          const nic = r.nics[i]!
          const d = yield* Effect.either(nic.watch.sample)
          if (d._tag === "Right") ifdata.push({ ...d.right, bridge: nic.netif })
          else yield* Effect.logWarning(`failed to get ifdata for ${nic.watch.tap}: ${d.left.message}`)
        }
        const stats: Stats = { rusage: sample.rusage, kinfoMem: sample.kinfoMem, vmm, ifdata }
        return stats
      })

    /** One sampling round: every registered unikernel with a subscriber at its name or an ancestor path. */
    const tick: Effect.Effect<void> = Effect.gen(function* () {
      if (options.gatherBhyve) for (const r of registrations.values()) yield* openVmm(r)
      const gone: Array<Registration> = []
      for (const r of registrations.values()) {
        let listeners: Array<Subscription> | undefined
        for (const p of r.prefixes) {
          const s = subscriptions.get(p)
          if (s !== undefined) (listeners ??= []).push(s)
        }
        if (listeners === undefined) continue
        const watch = r.process
        if (watch instanceof ProcessStatsError) {
          yield* Effect.logError(`failed to get rusage for ${r.pid} (${r.name.toString()}): ${watch.message}; dropping it`)
          gone.push(r)
          continue
        }
        const stats = yield* Effect.either(gather(r, watch))
        if (stats._tag === "Left") {
          yield* Effect.logError(`failed to get rusage for ${r.pid} (${r.name.toString()}): ${stats.left.message}; dropping it`)
          gone.push(r)
          continue
        }
        for (const s of listeners) {
          s.sink.send({
            header: { version: s.version, sequence: 0n, name: relativeName(r, s.name.path.length, s.name) },
            payload: { _tag: "Data", data: { _tag: "StatsData", stats: stats.right } }
          })
        }
      }
      for (const r of gone) {
        registrations.delete(r.key)
        yield* closeRegistration(r)
      }
    })

    return {
      add,
      remove,
      clearRegistrations,
      subscribe,
      dropSink,
      tick,
      /** For tests and logs. */
      size: () => ({ registrations: registrations.size, subscriptions: subscriptions.size })
    }
  })

export type Registry = Effect.Effect.Success<ReturnType<typeof makeRegistry>>
