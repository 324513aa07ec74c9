/**
 * The recorded client sessions (../shared/vectors/transcripts.json, made against the OCaml
 * albatrossd) replayed against ours on the fake host: every reply on vmmd.sock must equal the
 * recorded one, byte for byte once encoded, except the fields that depend on the run
 * (image digest, start time) in info replies.
 */
import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import type { Wire } from "../../src/domain/wire.js"
import { connectUnix } from "../../src/net/connection.js"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { configFromJson, hexToBytes, type Json, policyFromJson } from "../support/vector-values.js"
import { defaultRootPolicy, makeFakeHost } from "./fake-host.js"
import { config, name, setup } from "./support.js"
import { vectorFile } from "../support/vectors-dir.js"

interface Frame {
  readonly dir: "c2s" | "s2c"
  readonly hex: string | null
  readonly decoded: { readonly ok: boolean; readonly value?: Json }
}
interface Step {
  readonly step: string
  readonly connections: ReadonlyArray<{ readonly service: string; readonly frames: ReadonlyArray<Frame>; readonly frames_total: number }>
}

const transcripts = JSON.parse(
  fs.readFileSync(vectorFile("transcripts.json"), "utf8")
) as ReadonlyArray<Step>

const image = new TextEncoder().encode("a stand-in for the recorded image")

/** A client frame: as recorded, or (image omitted from the recording) rebuilt from its decoded form with our image. */
const clientFrame = (f: Frame): { readonly wire?: Wire; readonly raw?: Uint8Array } => {
  if (f.hex !== null) {
    const decoded = decodeWireSync(hexToBytes(f.hex))
    return Either.isRight(decoded) ? { wire: decoded.right } : { raw: hexToBytes(f.hex) }
  }
  const v = f.decoded.value as { header: { sequence: string; name: string }; payload: { command: { cmd: string; config: Record<string, Json> } } }
  const cfg = configFromJson({ ...v.payload.command.config, image: Buffer.from(image).toString("hex") })
  const tag = v.payload.command.cmd === "unikernel_force_create" ? "UnikernelForceCreate" : "UnikernelCreate"
  return {
    wire: {
      header: { version: 5, sequence: BigInt(v.header.sequence), name: name(v.header.name) },
      payload: { _tag: "Command", command: { _tag: tag, config: cfg } }
    }
  }
}

/** Info replies carry run-dependent fields; blank them on both sides. */
const normalise = (w: Wire): Wire => {
  if (w.payload._tag !== "Success" || w.payload.success._tag !== "UnikernelInfo") return w
  return {
    ...w,
    payload: {
      _tag: "Success",
      success: {
        _tag: "UnikernelInfo",
        unikernels: w.payload.success.unikernels.map((u) => ({ ...u, info: { ...u.info, digest: new Uint8Array(), started: new Date(0) } }))
      }
    }
  }
}

const replay = (steps: ReadonlyArray<Step>, fake: ReturnType<typeof makeFakeHost>) =>
  Effect.gen(function* () {
      const t = yield* setup({ fake })
    const mismatches: Array<string> = []
    let compared = 0
    for (const step of steps) {
      for (const c of step.connections.filter((c) => c.service === "vmmd")) {
        if (c.frames_total > c.frames.length) continue // truncated recording (long block streams)
        const conn = yield* connectUnix(vmmdSocketPath(t.dir))
        for (const f of c.frames) {
          if (f.dir === "c2s") {
            const out = clientFrame(f)
            if (out.wire !== undefined) yield* conn.writeWire(out.wire)
            else if (out.raw !== undefined && out.raw.length === 0) yield* conn.writeEnd
            else yield* conn.writeFrame(out.raw!)
            continue
          }
          const got = yield* Effect.either(conn.readWireUntimed)
          // replies carrying the recorded image are not comparable (the image was left out)
          if (f.hex === null) continue
          const expected = decodeWireSync(hexToBytes(f.hex))
          if (Either.isLeft(expected)) continue
          compared++
          if (Either.isLeft(got) || Option.isNone(got.right)) {
            mismatches.push(`${step.step}: no reply`)
            break
          }
          const a = JSON.stringify(normalise(got.right.value), (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))
          const b = JSON.stringify(normalise(expected.right), (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))
          if (a !== b) mismatches.push(`${step.step}:\n  ours     ${a.slice(0, 600)}\n  recorded ${b.slice(0, 600)}`)
        }
        yield* conn.close
      }
    }
    return { mismatches, compared }
  })

describe("albatrossd replays the recorded sessions", () => {
  it.scoped("every reply on vmmd.sock equals the recorded one", () =>
    Effect.gen(function* () {
      // the recorded host: root policy and tenant policy from the first step, block tenant:disk1
      // (10 MB) and the unikernel :remote that ran before the session (as info-empty shows)
      const first = transcripts[0]!.connections[0]!.frames[1]!.decoded.value as { payload: { success: { policies: Array<{ name: string; value: Json }> } } }
      const policies = first.payload.success.policies.map((p) => ({ name: name(p.name), policy: policyFromJson(p.value) }))
      const root = policies.find((p) => p.name.isRoot)!.policy
      const fake = makeFakeHost({
        rootPolicy: { ...defaultRootPolicy, ...root },
        state: { unikernels: [{ name: name(":remote"), config: config({ image, cpuids: [1], argv: ["tick", "0"] }) }], policies },
        blocks: [{ name: "tenant:disk1", size: 10 }]
      })
      const { mismatches, compared } = yield* replay(transcripts, fake)
      expect(mismatches).toEqual([])
      expect(compared).toBeGreaterThan(25)
    }))

  it.scoped("the recorded network session: MAC, block size and activity in info, destroy", () =>
    Effect.gen(function* () {
      const network = JSON.parse(
        fs.readFileSync(vectorFile("transcripts-network.json"), "utf8")
      ) as ReadonlyArray<Step>
      const netuk = config({
        image,
        argv: ["tick", "0"],
        blockDevices: [{ name: "disk0", device: null, sectorSize: null }],
        bridges: [{ netif: "net0", bridge: "service", mac: null }]
      })
      const fake = makeFakeHost({ state: { unikernels: [{ name: name(":netuk"), config: netuk }], policies: [] }, blocks: [{ name: ":disk0", size: 2 }] })
      const { mismatches, compared } = yield* replay(network, fake)
      expect(mismatches).toEqual([])
      expect(compared).toBe(4)
    }))
})
