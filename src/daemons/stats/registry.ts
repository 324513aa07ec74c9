/**
 * The state of albatross-stats (spec §8.2, §8.3): registered unikernels (name → pid, taps,
 * VMM device) and subscriptions (one per name), plus the sampling tick.
 *
 * Mutable on purpose: the daemon is one process on one thread and this is its hot path; every
 * method runs inside one synchronous Effect step, so no two steps interleave on it.
 */
import { Effect, Either } from "effect"
import { Name } from "../../domain/name.js"
import type { IfData, Stats, VmmStat } from "../../domain/stats.js"
import type { StatsTap } from "../../domain/command.js"
import { InterfaceStats, InterfaceStatsError, type InterfaceWatch } from "../../services/interface-stats.js"
import { ProcessStats, ProcessStatsError, type ProcessWatch } from "../../services/process-stats.js"
import { VmmStats, type VmmHandle } from "../../services/vmm-stats.js"
import { encodeWireSync } from "../../wire/index.js"
import { encodeStatsHeader, encodeStatsPayload, FrameBatch, payloadBytes } from "./encode.js"

/** Where a subscription's messages go: one per subscribed connection. */
export interface SubscriberSink {
  readonly id: number
  /** Queue `count` framed messages (length prefixes included); never blocks the tick. */
  readonly sendFrames: (frames: Uint8Array, count: number) => void
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
  /** The encoded message header for subscribers at paths of that length: computed once. */
  readonly headers: Map<number, Uint8Array>
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
          relative: new Map(),
          headers: new Map()
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

    /** The encoded header { version 5, sequence 0, relative name } for subscribers at paths of this length. */
    const headerFor = (r: Registration, s: Subscription): Uint8Array => {
      const pathLength = s.name.path.length
      let h = r.headers.get(pathLength)
      if (h === undefined) {
        h = encodeStatsHeader({ version: 5, sequence: 0n, name: relativeName(r, pathLength, s.name) })
        r.headers.set(pathLength, h)
      }
      return h
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

    // The per-unikernel path of the tick is written with plain combinators (no generators, no
    // Either wrappers) and the stats are encoded straight into each subscriber's batch
    // (encode.ts): it runs for every subscribed unikernel on every tick, and what it allocates
    // is what the garbage collector then costs.
    const NO_IFDATA: ReadonlyArray<IfData> = []
    const NO_VMM = Effect.succeed<ReadonlyArray<VmmStat> | null>(null)

    const sampleVmm = (r: Registration): Effect.Effect<ReadonlyArray<VmmStat> | null> =>
      r.vmm._tag !== "Open"
        ? NO_VMM
        : Effect.matchEffect(r.vmm.handle.sample, {
            onFailure: (e) => Effect.as(Effect.logError(`vmm statistics of ${r.vmmdev}: ${e.message}`), null),
            onSuccess: (v) => Effect.succeed(v)
          })

    /** The warning for an interface that could not be read: the source's error says which and why. */
    const ifdataFailure = (nic: Nic, e: unknown): string =>
      e instanceof InterfaceStatsError ? e.message : `failed to get ifdata for ${nic.watch.tap}: ${String(e)}`

    const sampleNic = (nic: Nic, out: Array<IfData>): Effect.Effect<void> =>
      Effect.matchEffect(nic.watch.sample, {
        onFailure: (e) => Effect.logWarning(ifdataFailure(nic, e)),
        onSuccess: (d) => {
          out.push({ ...d, bridge: nic.netif })
          return Effect.void
        }
      })

    const sampleInterfaces = (r: Registration): Effect.Effect<ReadonlyArray<IfData>> => {
      const nics = r.nics
      if (nics.length === 0) return Effect.succeed(NO_IFDATA)
      const out: Array<IfData> = []
      // the reference lists the interfaces last to first
      if (nics.length === 1) return Effect.as(sampleNic(nics[0]!, out), out)
      return Effect.as(
        Effect.forEach([...nics].reverse(), (nic) => sampleNic(nic, out), { discard: true }),
        out
      )
    }

    /**
     * The ifdata of `r` read in place (InterfaceWatch.sampleNow), when every interface's source
     * can; `undefined` otherwise. Failures become warnings, as in sampleNic.
     */
    const interfacesNow = (r: Registration, warnings: Array<string>): ReadonlyArray<IfData> | undefined => {
      const nics = r.nics
      if (nics.length === 0) return NO_IFDATA
      for (const nic of nics) if (nic.watch.sampleNow === undefined) return undefined
      const out: Array<IfData> = []
      // the reference lists the interfaces last to first
      for (let i = nics.length - 1; i >= 0; i--) {
        const nic = nics[i]!
        try {
          out.push(nic.watch.sampleNow!(nic.netif))
        } catch (e) {
          warnings.push(ifdataFailure(nic, e))
        }
      }
      return out
    }

    /** What one tick collects: a batch of framed messages per subscriber connection. */
    interface Round {
      readonly batches: Map<number, { readonly sink: SubscriberSink; readonly batch: FrameBatch }>
      /** Initial size of a batch. */
      readonly batchSize: number
      readonly gone: Array<Registration>
      readonly encodeErrors: Array<string>
    }

    const deliver = (round: Round, r: Registration, listeners: ReadonlyArray<Subscription>, stats: Stats): void => {
      const length = encodeStatsPayload(stats)
      for (const s of listeners) {
        let b = round.batches.get(s.sink.id)
        if (b === undefined) {
          b = { sink: s.sink, batch: new FrameBatch(round.batchSize) }
          round.batches.set(s.sink.id, b)
        }
        if (length >= 0 && s.version === 5) {
          b.batch.addMessage(headerFor(r, s), payloadBytes(length))
          continue
        }
        // what the fast encoder leaves to the generic codec: the same bytes, or the same error
        const name = relativeName(r, s.name.path.length, s.name)
        const encoded = encodeWireSync({
          header: { version: s.version, sequence: 0n, name },
          payload: { _tag: "Data", data: { _tag: "StatsData", stats } }
        })
        if (Either.isRight(encoded)) b.batch.addEncoded(encoded.right)
        else round.encodeErrors.push(`cannot encode stats for ${name.toString()}: ${encoded.left.message}`)
      }
    }

    interface Work {
      readonly r: Registration
      readonly watch: ProcessWatch
      readonly listeners: ReadonlyArray<Subscription>
    }

    const sampleOne = (round: Round, w: Work): Effect.Effect<void> =>
      Effect.matchEffect(w.watch.sample, {
        onFailure: (e) => {
          round.gone.push(w.r)
          return Effect.logError(`failed to get rusage for ${w.r.pid} (${w.r.name.toString()}): ${e.message}; dropping it`)
        },
        onSuccess: (sample) => {
          if (w.r.vmm._tag !== "Open") {
            // synchronous, in the continuation itself: no Effect steps per unikernel or interface
            const warnings: Array<string> = []
            const ifdata = interfacesNow(w.r, warnings)
            if (ifdata !== undefined) {
              deliver(round, w.r, w.listeners, { rusage: sample.rusage, kinfoMem: sample.kinfoMem, vmm: null, ifdata })
              return warnings.length === 0 ? Effect.void : Effect.forEach(warnings, (m) => Effect.logWarning(m), { discard: true })
            }
          }
          return Effect.flatMap(Effect.zip(sampleVmm(w.r), sampleInterfaces(w.r)), ([vmm, ifdata]) => {
            deliver(round, w.r, w.listeners, { rusage: sample.rusage, kinfoMem: sample.kinfoMem, vmm, ifdata })
            return Effect.void
          })
        }
      })

    /** Hands each subscriber its batch (one write each), then logs what could not be encoded. */
    const flush = (round: Round): Effect.Effect<void> => {
      for (const { sink, batch } of round.batches.values()) sink.sendFrames(batch.frames(), batch.count)
      return round.encodeErrors.length === 0 ? Effect.void : Effect.forEach(round.encodeErrors, (m) => Effect.logError(m), { discard: true })
    }

    /** One sampling round: every registered unikernel with a subscriber at its name or an ancestor path. */
    const tick: Effect.Effect<void> = Effect.suspend(() => {
      const work: Array<Work> = []
      const failedEarlier: Array<Registration> = []
      let nics = 0
      for (const r of registrations.values()) {
        let listeners: Array<Subscription> | undefined
        for (const p of r.prefixes) {
          const s = subscriptions.get(p)
          if (s !== undefined) (listeners ??= []).push(s)
        }
        if (listeners === undefined) continue
        if (r.process instanceof ProcessStatsError) failedEarlier.push(r)
        else {
          work.push({ r, watch: r.process, listeners })
          nics += r.nics.length
        }
      }
      // a message without interfaces is about 310 bytes, each interface adds about 190
      const round: Round = { batches: new Map(), batchSize: work.length * 320 + nics * 200, gone: [], encodeErrors: [] }
      const openVmms = options.gatherBhyve ? Effect.forEach(registrations.values(), openVmm, { discard: true }) : Effect.void
      return openVmms.pipe(
        Effect.zipRight(
          Effect.forEach(
            failedEarlier,
            (r) => {
              round.gone.push(r)
              const e = r.process as ProcessStatsError
              return Effect.logError(`failed to get rusage for ${r.pid} (${r.name.toString()}): ${e.message}; dropping it`)
            },
            { discard: true }
          )
        ),
        Effect.zipRight(Effect.forEach(work, (w) => sampleOne(round, w), { discard: true })),
        Effect.zipRight(Effect.suspend(() => flush(round))),
        Effect.zipRight(
          Effect.suspend(() =>
            Effect.forEach(
              round.gone,
              (r) => {
                registrations.delete(r.key)
                return closeRegistration(r)
              },
              { discard: true }
            )
          )
        )
      )
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
