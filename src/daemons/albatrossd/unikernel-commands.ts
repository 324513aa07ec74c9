/** The unikernel commands of spec §4.4: create, force-create, restart, destroy, info, get. */
import * as zlib from "node:zlib"
import { Effect, Fiber } from "effect"
import type { Name } from "../../domain/name.js"
import { applyArguments } from "../../domain/unikernel-rules.js"
import type { NamedUnikernelInfo } from "../../domain/reply.js"
import type { UnikernelArguments, UnikernelConfig, UnikernelInfo } from "../../domain/unikernel.js"
import { spawnUnikernel } from "./create.js"
import { type Daemon, dumpState, locked, nameKey, type Running } from "./daemon.js"
import { err, ok, okString, type Outcome } from "./outcome.js"
import { startSupervision, stopSupervision } from "./supervisor.js"


/** A pending automatic restart of `name` is cancelled before anything else claims the name. */
const cancelPendingRestart = (d: Daemon, name: Name): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const sup = d.supervised.get(nameKey(name))
    if (sup === undefined || sup.running !== undefined) return Effect.succeed(false)
    return Effect.as(stopSupervision(d, nameKey(name)), true)
  })

/** Create under the lock, supervise, and (unless told not to) persist before replying. */
const createLocked = (d: Daemon, name: Name, config: UnikernelConfig, persist = true): Effect.Effect<Outcome> =>
  locked(
    d,
    // a client going away must not leave a spawned tender without its supervisor
    Effect.uninterruptible(Effect.gen(function* () {
      // with `persist`, this completes once the state listing it is on disk (written during the spawn)
      const r = yield* Effect.either(spawnUnikernel(d, name, config, persist))
      if (r._tag === "Left") return err(r.left.message)
      yield* startSupervision(d, r.right)
      return okString("created unikernel")
    }))
  )

export const create = (d: Daemon, name: Name, config: UnikernelConfig, persist = true): Effect.Effect<Outcome> =>
  Effect.zipRight(cancelPendingRestart(d, name), createLocked(d, name, config, persist))

export const forceCreate = (d: Daemon, name: Name, config: UnikernelConfig): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const refused = yield* locked(d, Effect.sync(() => d.acc.checkUnikernel(name, config, name)))
    if (refused !== undefined) return err(refused)
    const key = nameKey(name)
    // the old instance (or its pending restart) goes first; waiting for its exit holds no lock
    if (d.supervised.has(key)) yield* stopSupervision(d, key)
    return yield* createLocked(d, name, config)
  })

/** Destroy of a name that does not run (spec §4.4), with or without persisting. */
const destroyIdle = (d: Daemon, name: Name, persist: boolean): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const key = nameKey(name)
    const sup = d.supervised.get(key)
    if (sup === undefined) return err("destroy: not found")
    yield* stopSupervision(d, key)
    yield* locked(
      d,
      Effect.suspend(() => {
        if (d.supervised.get(key) === sup) d.supervised.delete(key)
        return persist ? dumpState(d) : Effect.void
      })
    )
    return okString("destroyed: removed from restarting")
  })

export const destroy = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const key = nameKey(name)
    const sup = d.supervised.get(key)
    if (sup === undefined || sup.running === undefined) return yield* destroyIdle(d, name, true)
    // the state without it is written while the tender is stopped (the reference writes it after
    // the exit): the reply still waits for both, and its resources stay accounted until the exit
    const dumping = yield* locked(
      d,
      Effect.suspend(() => {
        if (d.supervised.get(key) === sup) d.supervised.delete(key)
        return Effect.fork(dumpState(d))
      })
    )
    // the write goes first, up to its fsync: the tender's stop then runs alongside it
    yield* Effect.yieldNow()
    yield* stopSupervision(d, key)
    yield* Fiber.join(dumping)
    return okString("destroyed unikernel")
  })

export const restart = (d: Daemon, name: Name, args: UnikernelArguments | null): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const key = nameKey(name)
    const sup = d.supervised.get(key)
    if (sup === undefined || sup.running === undefined) return yield* destroyIdle(d, name, false)
    const old = sup.running.config
    const refused = yield* locked(d, Effect.sync(() => d.acc.checkUnikernel(name, old, name)))
    if (refused !== undefined) return err(refused)
    const config: UnikernelConfig = args === null ? old : applyArguments(old, args)
    // deliberate fix (spec §13.3 item 6): a bhyve VM has no Solo5 manifest to check
    if (args !== null && config.typ === "solo5") {
      const manifest = yield* Effect.either(d.host.checkManifest(config))
      if (manifest._tag === "Left") return err(manifest.left.message)
    }
    yield* stopSupervision(d, key)
    yield* locked(
      d,
      Effect.sync(() => {
        if (d.supervised.get(key) === sup) d.supervised.delete(key)
      })
    )
    const result = yield* createLocked(d, name, config)
    // deliberate fix (spec §13.3 item 14): a failed re-create no longer leaves the old entry persisted
    if (result._tag === "Err") yield* locked(d, dumpState(d))
    return result
  })

const blockSize = (d: Daemon, name: Name, device: string): number =>
  d.acc.block(name.blockName(device))?.size ?? 0

/**
 * What `info` tells about a running unikernel. Only the sizes of its block devices can change
 * while it runs (they are looked up each time); without block devices the info is one object
 * for the whole run, so the reply grammar encodes it once (`encodedOnce` in success.ts) however
 * often it is listed.
 */
export const unikernelInfo = (d: Daemon, name: Name, r: Running): UnikernelInfo => {
  if (r.config.blockDevices.length > 0) return infoNow(d, name, r)
  const known = infoWithoutBlocks.get(r)
  if (known !== undefined) return known
  const info = infoNow(d, name, r)
  infoWithoutBlocks.set(r, info)
  return info
}

const infoWithoutBlocks = new WeakMap<Running, UnikernelInfo>()

const infoNow = (d: Daemon, name: Name, r: Running): UnikernelInfo => ({
  typ: r.config.typ,
  failBehaviour: r.config.failBehaviour,
  startup: r.config.startup,
  cpuids: r.config.cpuids,
  memory: r.config.memory,
  // deliberate fix (spec §13.3 item 8): sizes are looked up with the absolute name
  blockDevices: r.config.blockDevices.map((b) => ({
    unikernelDevice: b.name,
    hostDevice: b.device ?? b.name,
    sectorSize: b.sectorSize ?? 512,
    size: blockSize(d, name, b.device ?? b.name)
  })),
  bridges: r.taps.map((t) => ({ unikernelDevice: t.netif, hostDevice: t.bridge, mac: t.mac })),
  argv: r.config.argv,
  digest: r.digest,
  started: r.started,
  numcpus: r.config.numcpus,
  linuxBootPartition: r.config.linuxBootPartition
})

export const info = (
  d: Daemon,
  name: Name,
  variant: "UnikernelInfo" | "OldUnikernelInfo4" | "OldUnikernelInfo5"
): Effect.Effect<Outcome> =>
  Effect.sync(() => {
    const running: Array<Running> = []
    for (const s of d.supervised.values()) if (s.running !== undefined) running.push(s.running)
    const unikernels: Array<NamedUnikernelInfo> = d.acc
      .list(running, name)
      .map(({ rel, value }) => ({ name: rel, info: unikernelInfo(d, value.name, value) }))
    // deliberate fix (spec §13.3 item 7): the old encodings hold exactly one CPU id; refuse instead of crashing
    if (variant !== "UnikernelInfo" && unikernels.some((u) => u.info.cpuids.length !== 1))
      return err("the requested (old) info format cannot encode a unikernel with other than one CPU id")
    return ok({ _tag: variant, unikernels })
  })

export const get = (d: Daemon, name: Name, level: number): Effect.Effect<Outcome> =>
  Effect.try(() => {
    const r = d.supervised.get(nameKey(name))?.running
    if (r === undefined || name.label === null) return err("get: no unikernel found")
    const { compressed, image } = r.config
    if (compressed)
      return level > 0
        ? ok({ _tag: "UnikernelImage", compressed: true, image })
        : ok({ _tag: "UnikernelImage", compressed: false, image: new Uint8Array(zlib.inflateSync(image)) })
    return level === 0
      ? ok({ _tag: "UnikernelImage", compressed: false, image })
      : ok({ _tag: "UnikernelImage", compressed: true, image: new Uint8Array(zlib.deflateSync(image, { level: Math.min(9, level) })) })
  }).pipe(Effect.catchAll((e) => Effect.succeed(err(`failed to uncompress: ${String(e.error)}`))))
