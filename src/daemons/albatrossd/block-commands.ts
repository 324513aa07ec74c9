/** The block device commands of spec §4.4 (streamed and legacy forms), §3.5, §5.8. */
import * as zlib from "node:zlib"
import { Effect, Option } from "effect"
import type { Name } from "../../domain/name.js"
import type { Connection } from "../../net/connection.js"
import { type Daemon, locked, nameKey } from "./daemon.js"
import { err, ok, okString, type Outcome } from "./unikernel-commands.js"

const MB = 1024 * 1024

const inflate = (data: Uint8Array): Uint8Array => new Uint8Array(zlib.inflateSync(data))

export const blockAdd = (d: Daemon, name: Name, size: number, data: Option.Option<Uint8Array>): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      if (name.label === null) return err("block device name must have a label")
      if (d.acc.blocks.has(nameKey(name))) return err("block device with same name already exists")
      const refused = d.acc.checkBlock(name, size)
      if (refused !== undefined) return err(refused)
      // deliberate fix (spec §13.3 item 12): a size that yields no bytes is refused before any file exists
      if (!(size > 0)) return err("overflow while computing bytes")
      if (Option.isSome(data) && data.value.length > size * MB) return err("data exceeds block size")
      const made = yield* Effect.either(d.host.createBlock(name, size, data))
      if (made._tag === "Left") return err(made.left.message)
      d.acc.addBlock(name, size)
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
      const b = d.acc.blocks.get(nameKey(name))
      if (b === undefined) return err("remove block: not found")
      if (b.active) return err("remove block: is in use")
      const removed = yield* Effect.either(d.host.removeBlock(name))
      if (removed._tag === "Left") return err(removed.left.message)
      d.acc.blocks.delete(nameKey(name))
      return okString("removed block")
    })
  )

export const blockInfo = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  Effect.sync(() => {
    const blockDevices = d.acc.list(d.acc.blocks.values(), name).map(({ rel, value }) => ({ name: rel, size: value.size, active: value.active }))
    return ok({ _tag: "BlockDevices", blockDevices })
  })

/** Checks shared by set and dump; the size of the device when usable. */
const usable = (d: Daemon, name: Name, verb: string): Outcome | number => {
  const b = d.acc.blocks.get(nameKey(name))
  if (b === undefined) return err(`${verb} block: not found`)
  if (b.active) return err(`${verb} block: is in use`)
  return b.size
}

/** Read the raw chunk stream (spec §6.3), inflating if asked, at most `limit` bytes. */
const readStream = (conn: Connection, compressed: boolean, limit: number): Effect.Effect<Uint8Array, string> =>
  Effect.gen(function* () {
    const chunks: Array<Uint8Array> = []
    let total = 0
    for (;;) {
      const chunk = yield* Effect.mapError(conn.readChunk, () => "error while reading stream")
      if (Option.isNone(chunk)) break
      chunks.push(chunk.value)
      total += chunk.value.length
      // compressed data is checked again after inflating; a raw stream is cut off as soon as it is too long
      if (!compressed && total > limit) return yield* Effect.fail("stream exceeds size")
      if (compressed && total > limit * 2 + 1024 * 1024) return yield* Effect.fail("stream exceeds size")
    }
    const joined = Buffer.concat(chunks)
    if (!compressed) return new Uint8Array(joined)
    const out = yield* Effect.try({
      try: () => new Uint8Array(zlib.inflateSync(joined, { maxOutputLength: limit + 1 })),
      catch: (e) => (String(e).includes("maxOutputLength") || String(e).includes("buffer") ? "stream exceeds size" : "error while reading stream")
    })
    if (out.length > limit) return yield* Effect.fail("stream exceeds size")
    return out
  })

/**
 * Block_set: checks under the lock, then the stream (no lock held while the client sends),
 * then the write under the lock. Unlike the reference, the old content survives a failed stream.
 */
export const blockSet = (d: Daemon, conn: Connection, name: Name, compressed: boolean): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const size = yield* locked(d, Effect.sync(() => usable(d, name, "set")))
    if (typeof size !== "number") return size
    const data = yield* Effect.either(readStream(conn, compressed, size * MB))
    if (data._tag === "Left") return err(data.left)
    return yield* locked(
      d,
      Effect.gen(function* () {
        const again = usable(d, name, "set")
        if (typeof again !== "number") return again
        const w = yield* Effect.either(d.host.writeBlock(name, again, data.right))
        return w._tag === "Left" ? err(w.left.message) : okString("set block device")
      })
    )
  })

export const oldBlockSet = (d: Daemon, name: Name, compressed: boolean, data: Uint8Array): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      const size = usable(d, name, "set")
      if (typeof size !== "number") return size
      let raw: Uint8Array
      try {
        raw = compressed ? inflate(data) : data
      } catch (e) {
        return err(`failed to uncompress: ${String(e)}`)
      }
      if (raw.length > size * MB) return err("data exceeds block size")
      const w = yield* Effect.either(d.host.writeBlock(name, size, raw))
      return w._tag === "Left" ? err(w.left.message) : okString("set block device")
    })
  )

/** Block contents for a dump: the whole file, deflated when `level` > 0. */
export const blockContents = (d: Daemon, name: Name, level: number): Effect.Effect<Outcome | Uint8Array> =>
  locked(
    d,
    Effect.gen(function* () {
      const size = usable(d, name, "dump")
      if (typeof size !== "number") return size
      const data = yield* Effect.either(d.host.readBlock(name))
      if (data._tag === "Left") return err(data.left.message)
      return level > 0 ? new Uint8Array(zlib.deflateSync(data.right, { level: Math.min(9, level) })) : data.right
    })
  )

export const oldBlockDump = (d: Daemon, name: Name, level: number): Effect.Effect<Outcome> =>
  Effect.map(blockContents(d, name, level), (r) =>
    r instanceof Uint8Array ? ok({ _tag: "OldBlockDeviceImage", compressed: level > 0, image: r }) : r
  )
