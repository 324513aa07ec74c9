/** Policy commands (spec §4.4, §3.3) and the dynamic checks at every level (§3.4 with the ancestor fix). */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Policy } from "../../src/domain/policy.js"
import { connectUnix } from "../../src/net/connection.js"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { command, config, create, replyText, setup } from "./support.js"

const policy = (p: Partial<Policy> = {}): Policy => ({
  unikernels: 2n,
  cpuids: [0, 1],
  memory: 64,
  block: null,
  bridges: ["service"],
  ...p
})
const add = (p: Policy) => ({ _tag: "PolicyAdd", policy: p }) as const

describe("albatrossd policies", () => {
  it.scoped("Policy_add keeps the connection open for the next request (several policies then a command)", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const conn = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* conn.writeWire(command("alice:", add(policy()), 1n))
      const first = yield* conn.readWireUntimed
      expect(Option.map(first, replyText)).toEqual(Option.some("success:added policy"))
      yield* conn.writeWire(command("alice:", add(policy()), 2n))
      expect(Option.map(yield* conn.readWireUntimed, replyText)).toEqual(Option.some("success:no modification of policy"))
      yield* conn.writeWire(command("alice:web", create(), 3n))
      const created = yield* conn.readWireUntimed
      expect(Option.map(created, (w) => [w.header.sequence, replyText(w)])).toEqual(Option.some([3n, "success:created unikernel"]))
      // and then the connection ends
      expect(Option.isNone(yield* conn.readWireUntimed)).toBe(true)
      // a refused Policy_add ends the connection too
      const refused = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* refused.writeWire(command("alice:sub:", add(policy({ unikernels: 9n })), 4n))
      expect(Option.map(yield* refused.readWireUntimed, replyText)).toEqual(
        Option.some("failure:policy above allows 2 unikernels, which is fewer than 9")
      )
      expect(Option.isNone(yield* refused.readWireUntimed)).toBe(true)
      expect(t.fake.state()?.policies.map((p) => p.name.toString())).toEqual([":", "alice:"])
    }))

  it.scoped("static checks on insertion: above, below, current usage", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      expect(yield* t.say("alice:", add(policy({ unikernels: 5n, memory: 256 })))).toBe("success:added policy")
      expect(yield* t.say("alice:bob:", add(policy({ unikernels: 6n })))).toBe(
        "failure:policy above allows 5 unikernels, which is fewer than 6"
      )
      expect(yield* t.say("alice:bob:", add(policy({ memory: 512 })))).toBe(
        "failure:policy above allows 256 MB memory, which is fewer than 512 MB"
      )
      expect(yield* t.say("alice:bob:", add(policy({ cpuids: [0, 3] })))).toBe("failure:policy above does not allow CPUids 3")
      expect(yield* t.say("alice:bob:", add(policy({ block: 10 })))).toBe(
        "failure:policy above allows 0 MB block storage, which is fewer than 10 MB"
      )
      expect(yield* t.say("alice:bob:", add(policy()))).toBe("success:added policy")
      // below: the new alice policy must still hold bob's
      expect(yield* t.say("alice:", add(policy({ unikernels: 1n })))).toBe(
        "failure:policy above allows 1 unikernels, which is fewer than 2"
      )
      // usage
      expect(yield* t.say("alice:bob:web", create(config({ memory: 40 })))).toBe("success:created unikernel")
      expect(yield* t.say("alice:bob:", add(policy({ memory: 32 })))).toBe(
        "failure:unikernel would exceed running memory limit set by policy to 32 MB, used 40 MB"
      )
      expect(yield* t.say("alice:bob:", add(policy({ cpuids: [1] })))).toBe("failure:policy does not allow CPUids 0")
      // the label of a policy name is ignored
      expect(yield* t.say("carol:x", add(policy()))).toBe("success:added policy")
      expect(yield* t.say("carol:", { _tag: "PolicyRemove" })).toBe("success:removed policy")
      expect(yield* t.say("carol:", { _tag: "PolicyRemove" })).toBe("failure:unknown policy")
    }))

  it.scoped("Policy_info lists the subtree with relative names (the path itself as ':')", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("alice:", add(policy({ unikernels: 5n, memory: 256 })))
      yield* t.say("alice:bob:", add(policy()))
      const r = yield* t.ask("alice:", { _tag: "PolicyInfo" })
      expect(r.payload._tag === "Success" && r.payload.success._tag === "Policies").toBe(true)
      if (r.payload._tag === "Success" && r.payload.success._tag === "Policies")
        expect(r.payload.success.policies.map((p) => [p.name.toString(), p.policy.unikernels])).toEqual([
          [":", 5n],
          ["bob:", 2n]
        ])
      const root = yield* t.ask(":", { _tag: "PolicyInfo" })
      if (root.payload._tag === "Success" && root.payload.success._tag === "Policies")
        expect(root.payload.success.policies.map((p) => p.name.toString())).toEqual([":", "alice:", "alice:bob:"])
    }))

  it.scoped("dynamic limits at the unikernel's path", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("alice:", add(policy()))
      expect(yield* t.say("alice:a", create(config({ memory: 80 })))).toBe(
        "failure:maximum allowed memory (64, used 0) would be exceeded (requesting 80)"
      )
      expect(yield* t.say("alice:a", create(config({ cpuids: [2] })))).toBe("failure:CPUids 2 are not allowed by policy")
      expect(yield* t.say("alice:a", create(config({ bridges: [{ netif: "x", bridge: "br0", mac: null }] })))).toBe(
        "failure:bridges br0 not allowed by policy"
      )
      expect(yield* t.say("alice:a", create())).toBe("success:created unikernel")
      expect(yield* t.say("alice:b", create())).toBe("success:created unikernel")
      expect(yield* t.say("alice:c", create(config({ memory: 1 })))).toBe("failure:maximum amount of unikernels (2) reached")
      expect(t.fake.live()).toHaveLength(2)
    }))

  it.scoped("deliberate fix: an ancestor's totals bound all its delegations together", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("alice:", add(policy({ unikernels: 3n, memory: 64 })))
      yield* t.say("alice:a:", add(policy({ unikernels: 3n, memory: 64 })))
      yield* t.say("alice:b:", add(policy({ unikernels: 3n, memory: 64 })))
      expect(yield* t.say("alice:a:x", create(config({ memory: 48 })))).toBe("success:created unikernel")
      // within alice:b's own limit, but alice would be at 96 MB
      expect(yield* t.say("alice:b:y", create(config({ memory: 32 })))).toBe(
        "failure:maximum allowed memory (64, used 48) would be exceeded (requesting 32)"
      )
      expect(yield* t.say("alice:b:y", create(config({ memory: 16 })))).toBe("success:created unikernel")
      // the root (host) policy bounds everything: 4 CPUs in the fake host
      expect(yield* t.say("zed", create(config({ cpuids: [7] })))).toBe("failure:CPUids 7 are not allowed by policy")
    }))
})
