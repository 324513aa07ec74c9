/** Block devices (spec §4.4 Block_*, §3.5): lifecycle, streamed set and dump, legacy forms, accounting. */
import * as zlib from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Wire } from "../../src/domain/wire.js"
import { connectUnix } from "../../src/net/connection.js"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { command, config, create, destroy, name, replyText, setup, waitUntil } from "./support.js"

const MB = 1024 * 1024

describe("albatrossd block devices", () => {
  it.scoped("add, info, in use while a unikernel runs, remove", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      expect(yield* t.say("alice:data", { _tag: "BlockAdd", size: 2 })).toBe("success:added block device")
      expect(yield* t.say("alice:data", { _tag: "BlockAdd", size: 2 })).toBe("failure:block device with same name already exists")
      expect(t.fake.blocks.get("alice:data")?.length).toBe(2 * MB)
      const withBlock = config({ blockDevices: [{ name: "storage", device: "data", sectorSize: 4096 }] })
      expect(yield* t.say("alice:web", create(withBlock))).toBe("success:created unikernel")
      expect(t.fake.live()[0]!.argv).toContain("--block:storage=" + t.dir + "/db/block/alice:data")
      expect(t.fake.live()[0]!.argv).toContain("--block-sector-size:storage=4096")
      expect(yield* t.say("alice:other", create(withBlock))).toBe("failure:block device alice:data already in use")
      expect(yield* t.say("alice:data", { _tag: "BlockRemove" })).toBe("failure:remove block: is in use")
      expect(yield* t.say("alice:data", { _tag: "BlockSet", compressed: false })).toBe("failure:set block: is in use")
      const info = yield* t.ask("alice:", { _tag: "BlockInfo" })
      expect(info.payload).toEqual({
        _tag: "Success",
        success: { _tag: "BlockDevices", blockDevices: [{ name: expect.anything(), size: 2, active: true }] }
      })
      if (info.payload._tag === "Success" && info.payload.success._tag === "BlockDevices")
        expect(info.payload.success.blockDevices[0]!.name.toString()).toBe(":data")
      // path-scoped unikernel info reports the real size (deliberate fix)
      const ui = yield* t.ask("alice:", { _tag: "UnikernelInfo" })
      if (ui.payload._tag === "Success" && ui.payload.success._tag === "UnikernelInfo")
        expect(ui.payload.success.unikernels[0]!.info.blockDevices).toEqual([
          { unikernelDevice: "storage", hostDevice: "data", sectorSize: 4096, size: 2 }
        ])
      yield* t.say("alice:web", destroy)
      expect(t.daemon.acc.block(name("alice:data"))?.active).toBe(false)
      expect(yield* t.say("alice:data", { _tag: "BlockRemove" })).toBe("success:removed block")
      expect(yield* t.say("alice:data", { _tag: "BlockRemove" })).toBe("failure:remove block: not found")
      expect(yield* t.say("alice:web", create(withBlock))).toBe("failure:block device alice:data not found")
      // blocks are not in the state file
      expect(yield* t.say("alice:zero", { _tag: "BlockAdd", size: 0 })).toBe("failure:overflow while computing bytes")
      expect(t.fake.blocks.has("alice:zero")).toBe(false)
    }))

  it.scoped("block quota of the policy at the block's path", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const p = { unikernels: 2n, cpuids: [0], memory: 64, bridges: [] }
      yield* t.say("alice:", { _tag: "PolicyAdd", policy: { ...p, block: null } })
      expect(yield* t.say("alice:d", { _tag: "BlockAdd", size: 1 })).toBe("failure:no block devices are allowed by policy")
      yield* t.say("bob:", { _tag: "PolicyAdd", policy: { ...p, block: 3 } })
      expect(yield* t.say("bob:d", { _tag: "BlockAdd", size: 2 })).toBe("success:added block device")
      expect(yield* t.say("bob:e", { _tag: "BlockAdd", size: 2 })).toBe(
        "failure:block device policy limit of 3 MB (used 2 MB) would be exceeded by the request (2 MB)"
      )
    }))

  it.scoped("streamed set (raw and compressed, size-capped) and dump (raw and compressed)", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("d", { _tag: "BlockAdd", size: 1 })
      const content = new Uint8Array(300_000).map((_, i) => i % 251)
      const upload = (compressed: boolean, chunks: ReadonlyArray<Uint8Array>) =>
        Effect.scoped(
          Effect.gen(function* () {
            const conn = yield* connectUnix(vmmdSocketPath(t.dir))
            yield* conn.writeWire(command("d", { _tag: "BlockSet", compressed }, 9n))
            for (const c of chunks) yield* conn.writeFrame(c)
            yield* conn.writeEnd
            return Option.map(yield* conn.readWireUntimed, replyText)
          })
        )
      const pieces = [content.subarray(0, 4096), content.subarray(4096)]
      expect(yield* upload(false, pieces)).toEqual(Option.some("success:set block device"))
      expect(Buffer.from(t.fake.blocks.get(":d")!.subarray(0, content.length)).equals(Buffer.from(content))).toBe(true)
      expect(yield* upload(true, [new Uint8Array(zlib.deflateSync(content.reverse()))])).toEqual(Option.some("success:set block device"))
      expect(yield* upload(false, [new Uint8Array(MB + 1)])).toEqual(Option.some("failure:stream exceeds size"))

      const download = (level: number) =>
        Effect.scoped(
          Effect.gen(function* () {
            const conn = yield* connectUnix(vmmdSocketPath(t.dir))
            yield* conn.writeWire(command("d", { _tag: "BlockDump", level }))
            const msgs: Array<Wire> = []
            for (;;) {
              const w = yield* conn.readWireUntimed
              if (Option.isNone(w)) break
              msgs.push(w.value)
            }
            return msgs
          })
        )
      t.fake.blocks.set(":d", new Uint8Array(MB).fill(7))
      for (const level of [0, 6]) {
        const msgs = yield* download(level)
        expect(msgs[0]!.payload).toEqual({ _tag: "Success", success: { _tag: "BlockDeviceImage", compressed: level !== 0 } })
        expect(msgs.at(-1)!.payload).toEqual({ _tag: "Data", data: { _tag: "BlockData", data: null } })
        const data = Buffer.concat(
          msgs.slice(1, -1).map((m) => (m.payload._tag === "Data" && m.payload.data._tag === "BlockData" ? m.payload.data.data! : new Uint8Array()))
        )
        const plain = level === 0 ? data : zlib.inflateSync(data)
        expect(plain.length).toBe(MB)
        expect(plain.every((b) => b === 7)).toBe(true)
      }
      expect(yield* t.say("nope", { _tag: "BlockDump", level: 0 })).toBe("failure:dump block: not found")
    }))

  it.scoped("while a Block_set stream arrives the device is in use; other commands are not held up", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("d", { _tag: "BlockAdd", size: 1 })
      const conn = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* conn.writeWire(command("d", { _tag: "BlockSet", compressed: false }))
      yield* conn.writeFrame(new Uint8Array(10).fill(1))
      yield* waitUntil("stream started", () => t.daemon.blocksBeingSet.size === 1)
      const withBlock = config({ blockDevices: [{ name: "disk", device: "d", sectorSize: null }] })
      expect(yield* t.say("vm", create(withBlock))).toBe("failure:block device :d already in use")
      expect(yield* t.say("d", { _tag: "BlockRemove" })).toBe("failure:remove block: is in use")
      expect(yield* t.say("other", create())).toBe("success:created unikernel")
      yield* conn.writeEnd
      expect(Option.map(yield* conn.readWireUntimed, replyText)).toEqual(Option.some("success:set block device"))
      expect(yield* t.say("vm", create(withBlock))).toBe("success:created unikernel")
    }))

  it.scoped("legacy block commands", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const data = new Uint8Array(1000).fill(3)
      expect(yield* t.say("d", { _tag: "OldBlockAdd", size: 1, compressed: true, data: new Uint8Array(zlib.deflateSync(data)) })).toBe(
        "success:added block device"
      )
      expect(t.fake.blocks.get(":d")!.subarray(0, 1000).every((b) => b === 3)).toBe(true)
      expect(yield* t.say("d", { _tag: "OldBlockSet", compressed: false, data: new Uint8Array(MB + 1) })).toBe(
        "failure:data exceeds block size"
      )
      expect(yield* t.say("d", { _tag: "OldBlockSet", compressed: false, data: new Uint8Array(10).fill(9) })).toBe("success:set block device")
      const dump = yield* t.ask("d", { _tag: "OldBlockDump", level: 0 })
      expect(dump.payload._tag === "Success" && dump.payload.success._tag === "OldBlockDeviceImage").toBe(true)
      if (dump.payload._tag === "Success" && dump.payload.success._tag === "OldBlockDeviceImage") {
        expect(dump.payload.success.image.length).toBe(MB)
        expect(dump.payload.success.image[9]).toBe(9)
      }
      expect(yield* t.say("e", { _tag: "OldBlockAdd", size: 1, compressed: false, data: null })).toBe("success:added block device")
    }))
})
