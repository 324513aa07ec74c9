/** The block device commands of spec §4.4 (streamed and legacy forms), §3.5, §5.8. */
import * as zlib from "node:zlib"
import { Effect, Option, Stream } from "effect"
import type { Name } from "../../domain/name.js"
import type { Connection } from "../../net/connection.js"
import { type Daemon, locked, nameKey } from "./daemon.js"
import { HostError } from "./host.js"
import { err, isOutcome, ok, okString, type Outcome } from "./outcome.js"

const MB = 1024 * 1024

const inflate = (data: Uint8Array): Uint8Array => new Uint8Array(zlib.inflateSync(data))

export const blockAdd = (d: Daemon, name: Name, size: number, data: Option.Option<Uint8Array>): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      if (name.label === null) return err("block device name must have a label")
      if (d.acc.block(name) !== undefined) return err("block device with same name already exists")
      const refused = d.acc.checkBlock(name, size)
      if (refused !== undefined) return err(refused)
      // deliberate fix (spec §13.3 item 12): a size that yields no bytes is refused before any file exists
      if (!(size > 0)) return err("overflow while computing bytes")
      if (Option.isSome(data) && data.value.length > size * MB) return err("data exceeds block size")
      const made = yield* Effect.either(d.host.createBlock(name, size, data))
      if (made._tag === "Left") return err(made.left.message)
      const added = d.acc.addBlock(name, size)
      if (added !== undefined) return err(added)
      return okString("added block device")
    })
  )

export const oldBlockAdd = (d: Daemon, name: Name, size: number, compressed: boolean, data: Uint8Array | null): Effect.Effect<Outcome> =>
  Effect.suspend(() => {
    if (data === null) return blockAdd(d, name, size, Option.none())
    try {
      return blockAdd(d, name, size, Option.some(compressed ? inflate(data) : data))
    } catch (e) {
      return Effect.succeed(err(`failed to uncompress: ${String(e)}`))
    }
  })

export const blockRemove = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      const b = d.acc.block(name)
      if (b === undefined) return err("remove block: not found")
      if (b.active || d.blocksBeingSet.has(nameKey(name))) return err("remove block: is in use")
      const removed = yield* Effect.either(d.host.removeBlock(name))
      if (removed._tag === "Left") return err(removed.left.message)
      const removed2 = d.acc.removeBlock(name)
      if (removed2 !== undefined) return err(removed2)
      return okString("removed block")
    })
  )

export const blockInfo = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  Effect.sync(() => {
    const blockDevices = d.acc.list(d.acc.blockEntries(), name).map(({ rel, value }) => ({ name: rel, size: value.size, active: value.active }))
    return ok({ _tag: "BlockDevices", blockDevices })
  })

/** Checks shared by set and dump; the size of the device when usable. */
const usable = (d: Daemon, name: Name, verb: string): Outcome | number => {
  const b = d.acc.block(name)
  if (b === undefined) return err(`${verb} block: not found`)
  if (b.active || d.blocksBeingSet.has(nameKey(name))) return err(`${verb} block: is in use`)
  return b.size
}

/** The raw chunk stream of spec §6.3 that follows a Block_set, up to its zero-length frame. */
const chunkStream = (conn: Connection): Stream.Stream<Uint8Array, HostError> =>
  Stream.repeatEffectOption(
    conn.readChunk.pipe(
      Effect.mapError(() => Option.some(new HostError({ message: "error while reading stream" }))),
      Effect.flatMap((chunk) => (Option.isSome(chunk) ? Effect.succeed(chunk.value) : Effect.fail(Option.none())))
    )
  )

/**
 * Block_set: checks under the lock, then the stream is written while the client sends it
 * (without holding the lock: a slow client must not stop the daemon).
 */
export const blockSet = (d: Daemon, conn: Connection, name: Name, compressed: boolean): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const size = yield* locked(
      d,
      Effect.sync(() => {
        const size = usable(d, name, "set")
        if (typeof size === "number") d.blocksBeingSet.add(nameKey(name))
        return size
      })
    )
    if (typeof size !== "number") return size
    const w = yield* Effect.either(d.host.setBlock(name, size, compressed, chunkStream(conn))).pipe(
      Effect.ensuring(locked(d, Effect.sync(() => void d.blocksBeingSet.delete(nameKey(name)))))
    )
    return w._tag === "Left" ? err(w.left.message) : okString("set block device")
  })

export const oldBlockSet = (d: Daemon, name: Name, compressed: boolean, data: Uint8Array): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      const size = usable(d, name, "set")
      if (typeof size !== "number") return size
      const w = yield* Effect.either(d.host.setBlock(name, size, compressed, Stream.make(data)))
      if (w._tag === "Right") return okString("set block device")
      return err(w.left.message === "stream exceeds size" ? "data exceeds block size" : w.left.message)
    })
  )

/** Checks for a dump (under the lock); the stream of the content when usable. */
export const blockDumpStream = (d: Daemon, name: Name, level: number): Effect.Effect<Outcome | Stream.Stream<Uint8Array, HostError>> =>
  locked(
    d,
    Effect.sync(() => {
      const size = usable(d, name, "dump")
      return typeof size !== "number" ? size : d.host.dumpBlock(name, level)
    })
  )

export const oldBlockDump = (d: Daemon, name: Name, level: number): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const s = yield* blockDumpStream(d, name, level)
    if (isOutcome(s)) return s
    const chunks = yield* Effect.either(Stream.runCollect(s))
    if (chunks._tag === "Left") return err(chunks.left.message)
    return ok({ _tag: "OldBlockDeviceImage", compressed: level > 0, image: new Uint8Array(Buffer.concat([...chunks.right])) })
  })
