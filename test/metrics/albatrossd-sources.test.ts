/**
 * albatrossd's self-metrics sources (spec §3.5, §9.3) on the fake host (test/albatrossd):
 * `albatross-policies` after policy add / remove, `albatross-unikernels` for the path and every
 * ancestor after block add, create and destroy, `connections` (kind unix) per request.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Policy } from "../../src/domain/policy.js"
import { MetricsRegistry } from "../../src/metrics/registry.js"
import { SelfMetrics } from "../../src/metrics/service.js"
import { config, create, destroy, name, setup, waitUntil } from "../albatrossd/support.js"

const policy: Policy = { unikernels: 2n, cpuids: [0, 1], memory: 64, block: 10, bridges: ["service"] }

const lines = (r: MetricsRegistry, measurement: string) =>
  r
    .batch("albatross")
    .split("\n")
    .filter((l) => l.startsWith(`${measurement},`))

const usage = (domain: string, attached: number, unattached: number, running: number, memory: number) =>
  `albatross-unikernels,vm=albatross,domain=${domain} attached\\ used\\ block=${attached}i,unattached\\ used\\ block=${unattached}i,total\\ used\\ block=${attached + unattached}i,running\\ unikernels=${running}i,used\\ memory=${memory}i`

const ROOT_POLICY = "albatross-policies,vm=albatross,domain=: maximum\\ unikernels=4611686018427387903i,maximum\\ memory=4096i,maximum\\ block=1000i"

describe("albatrossd self-metrics sources", () => {
  it.scoped("policies, unikernel and block usage at every ancestor, connections", () =>
    Effect.gen(function* () {
      const r = new MetricsRegistry(true)
      const t = yield* Effect.provideService(setup(), SelfMetrics, r)
      // the root policy of the start is reported
      expect(lines(r, "albatross-policies")).toEqual([ROOT_POLICY])
      expect(lines(r, "albatross-unikernels")).toEqual([])

      expect(yield* t.say("alice:", { _tag: "PolicyAdd", policy })).toBe("success:added policy")
      expect(lines(r, "albatross-policies")).toEqual([
        ROOT_POLICY,
        "albatross-policies,vm=albatross,domain=alice maximum\\ unikernels=2i,maximum\\ memory=64i,maximum\\ block=10i"
      ])

      expect(yield* t.say("alice:data", { _tag: "BlockAdd", size: 2 })).toBe("success:added block device")
      expect(lines(r, "albatross-unikernels")).toEqual([usage("alice", 0, 2, 0, 0), usage(":", 0, 2, 0, 0)])

      const withBlock = config({ memory: 32, blockDevices: [{ name: "storage", device: "data", sectorSize: null }] })
      expect(yield* t.say("alice:web", create(withBlock))).toBe("success:created unikernel")
      expect(yield* t.say("bob", create(config({ memory: 16 })))).toBe("success:created unikernel")
      // bob is at the root: only ":" is updated, and so moves behind alice
      expect(lines(r, "albatross-unikernels")).toEqual([usage("alice", 2, 0, 1, 32), usage(":", 2, 0, 2, 48)])

      expect(yield* t.say("alice:web", destroy)).toBe("success:destroyed unikernel")
      yield* waitUntil("alice:web released", () => !t.daemon.acc.hasUnikernel(name("alice:web")))
      expect(lines(r, "albatross-unikernels")).toEqual([usage("alice", 0, 2, 0, 0), usage(":", 0, 2, 1, 16)])

      expect(yield* t.say("alice:data", { _tag: "BlockRemove" })).toBe("success:removed block")
      expect(yield* t.say("alice:", { _tag: "PolicyRemove" })).toBe("success:removed policy")
      expect(lines(r, "albatross-unikernels")).toEqual([usage("alice", 0, 0, 0, 0), usage(":", 0, 0, 1, 16)])
      // a removed policy is reported with zeros
      expect(lines(r, "albatross-policies")[1]).toBe(
        "albatross-policies,vm=albatross,domain=alice maximum\\ unikernels=0i,maximum\\ memory=0i,maximum\\ block=0i"
      )

      // seven requests, each on its own connection, all closed by now
      yield* waitUntil("connections closed", () => lines(r, "connections")[0] === "connections,vm=albatross,kind=unix active=0i,total=7i")
    }))

  it.scoped("the state restored at start is reported; without SelfMetrics nothing is", () =>
    Effect.gen(function* () {
      const r = new MetricsRegistry(true)
      const state = {
        policies: [{ name: name("alice:"), policy }],
        unikernels: [{ name: name("alice:web"), config: config({ memory: 8 }) }]
      }
      yield* Effect.provideService(setup({ state }), SelfMetrics, r)
      expect(lines(r, "albatross-policies")).toEqual([
        ROOT_POLICY,
        "albatross-policies,vm=albatross,domain=alice maximum\\ unikernels=2i,maximum\\ memory=64i,maximum\\ block=10i"
      ])
      expect(lines(r, "albatross-unikernels")).toEqual([usage("alice", 0, 0, 1, 8), usage(":", 0, 0, 1, 8)])
      const plain = yield* setup({ state })
      expect(plain.daemon.acc.hasUnikernel(name("alice:web"))).toBe(true)
      expect((yield* SelfMetrics).batch("albatross")).toBe("")
    }))
})
