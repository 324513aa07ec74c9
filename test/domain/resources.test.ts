/** Resource accounting (spec §3.2-3.6), including the deliberate ancestor enforcement (issue 3). */
import { Either } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { Policy } from "../../src/domain/policy.js"
import { type AccountedConfig, isZvolExempt, OCAML_MAX_INT, pathsToRoot, Resources } from "../../src/domain/resources.js"

const n = (s: string): Name => Either.getOrThrow(Name.fromString(s))
const path = (s: string): ReadonlyArray<string> => (s === ":" ? [] : n(s.endsWith(":") ? s : `${s}:`).path)

const policy = (p: Partial<Policy> = {}): Policy => ({
  unikernels: 10n,
  cpuids: [0, 1, 2, 3],
  memory: 1024,
  block: 1000,
  bridges: ["ext", "service"],
  ...p
})

const cfg = (c: Partial<AccountedConfig> = {}): AccountedConfig => ({
  memory: 64,
  cpuids: [0],
  bridges: [],
  blockDevices: [],
  ...c
})

interface Running {
  readonly config: AccountedConfig
  readonly pid: number
}

type R = Resources<Running>
const ok = <A>(e: Either.Either<A, string>): A => {
  if (Either.isLeft(e)) throw new Error(`expected success, got: ${e.left}`)
  return e.right
}
const err = (e: Either.Either<unknown, string>): string => {
  if (Either.isRight(e)) throw new Error("expected a failure")
  return e.left
}
const withPolicies = (entries: ReadonlyArray<readonly [string, Policy]>, r: R = Resources.empty<Running>()): R =>
  entries.reduce((acc, [p, pol]) => ok(acc.insertPolicy(path(p), pol)), r)
/** check then insert, as the daemon does on create */
const start = (r: R, name: string, c: AccountedConfig = cfg()): Either.Either<R, string> =>
  Either.flatMap(r.checkUnikernel(n(name), c), () => r.insertUnikernel(n(name), { config: c, pid: 1 }))

describe("insertPolicy (spec §3.3)", () => {
  it("stores, replaces and finds policies by path", () => {
    const r = withPolicies([[":", policy()], ["alice:", policy({ unikernels: 2n })]])
    expect(r.findPolicy([])?.unikernels).toBe(10n)
    expect(r.findPolicy(["alice"])?.unikernels).toBe(2n)
    const r2 = ok(r.insertPolicy(["alice"], policy({ unikernels: 3n })))
    expect(r2.findPolicy(["alice"])?.unikernels).toBe(3n)
    expect(r.findPolicy(["alice"])?.unikernels).toBe(2n)
    expect(r2.policies.all().map(([k]) => k.toString())).toEqual([":", "alice:"])
  })

  it("1. must fit every policy above, nearest first", () => {
    const r = withPolicies([["a:", policy({ unikernels: 5n })], ["a:b:", policy({ unikernels: 3n, memory: 100 })]])
    expect(err(r.insertPolicy(["a", "b", "c"], policy({ unikernels: 4n, memory: 50 })))).toBe(
      "policy above allows 3 unikernels, which is fewer than 4"
    )
    expect(err(r.insertPolicy(["a", "x", "c"], policy({ unikernels: 6n })))).toBe(
      "policy above allows 5 unikernels, which is fewer than 6"
    )
    expect(err(r.insertPolicy(["a", "b", "c"], policy({ unikernels: 1n, memory: 200 })))).toBe(
      "policy above allows 100 MB memory, which is fewer than 200 MB"
    )
  })

  it("[QUIRK kept] the root policy is not consulted for a delegation", () => {
    const r = withPolicies([[":", policy({ unikernels: 1n, memory: 10, cpuids: [0], bridges: [] })]])
    expect(Either.isRight(r.insertPolicy(["alice"], policy({ unikernels: 99n, memory: 9999 })))).toBe(true)
  })

  it("2. every policy below must fit; the one at the path itself is being replaced", () => {
    const r = withPolicies([["a:", policy({ unikernels: 5n })], ["a:b:", policy({ unikernels: 4n })], ["a:c:", policy({ unikernels: 2n })]])
    expect(err(r.insertPolicy(["a"], policy({ unikernels: 3n })))).toBe("policy above allows 3 unikernels, which is fewer than 4")
    expect(Either.isRight(r.insertPolicy(["a"], policy({ unikernels: 4n })))).toBe(true)
    // replacing a:b by something smaller than the old one is fine
    expect(Either.isRight(r.insertPolicy(["a", "b"], policy({ unikernels: 1n })))).toBe(true)
  })

  it("3. what runs under the path must fit, in the order cpuids, bridges, count, memory, block", () => {
    let r = withPolicies([])
    r = ok(start(r, "a:x", cfg({ cpuids: [3], memory: 300, bridges: [{ netif: "service", bridge: null, mac: null }] })))
    r = ok(start(r, "a:b:y", cfg({ cpuids: [1], memory: 300, bridges: [{ netif: "n", bridge: "ext", mac: null }] })))
    r = ok(r.addBlock(n("a:disk"), 50))
    r = ok(r.addBlock(n("a:b:disk"), 70))
    const p = policy({ unikernels: 2n, memory: 600, block: 120, cpuids: [1, 3], bridges: ["ext", "service"] })
    expect(Either.isRight(r.insertPolicy(["a"], p))).toBe(true)
    expect(err(r.insertPolicy(["a"], { ...p, cpuids: [0] }))).toBe("policy does not allow CPUids 1, 3")
    expect(err(r.insertPolicy(["a"], { ...p, cpuids: [3] }))).toBe("policy does not allow CPUids 1")
    expect(err(r.insertPolicy(["a"], { ...p, bridges: ["service"] }))).toBe(
      "policy allows bridges service, which is not a superset of ext, service"
    )
    expect(err(r.insertPolicy(["a"], { ...p, unikernels: 1n }))).toBe(
      "unikernel would exceed running unikernel limit set by policy to 1, running 2"
    )
    expect(err(r.insertPolicy(["a"], { ...p, memory: 599 }))).toBe(
      "unikernel would exceed running memory limit set by policy to 599 MB, used 600 MB"
    )
    expect(err(r.insertPolicy(["a"], { ...p, block: 119 }))).toBe(
      "unikernel would exceed running block storage limit set by policy to 119 MB, used 120 MB"
    )
    expect(err(r.insertPolicy(["a"], { ...p, block: null }))).toBe(
      "unikernel would exceed running block storage limit set by policy to 0 MB, used 120 MB"
    )
    // only the subtree counts
    expect(err(r.insertPolicy(["a", "b"], { ...p, unikernels: 0n }))).toBe(
      "unikernel would exceed running unikernel limit set by policy to 0, running 1"
    )
  })

  it("removePolicy", () => {
    const r = withPolicies([["a:", policy()]])
    expect(err(r.removePolicy(["b"]))).toBe("unknown policy")
    const r2 = ok(r.removePolicy(["a"]))
    expect(r2.findPolicy(["a"])).toBeUndefined()
    expect(r.findPolicy(["a"])).toBeDefined()
  })
})

describe("checkUnikernel (spec §3.4)", () => {
  it("checks the policy at the unikernel's path, with the reference's texts", () => {
    const r = withPolicies([["a:", policy({ unikernels: 2n, memory: 100, cpuids: [0, 1], bridges: ["service"] })]])
    const one = ok(start(r, "a:x", cfg({ memory: 60 })))
    expect(err(one.checkUnikernel(n("a:y"), cfg({ memory: 41 })))).toBe(
      "maximum allowed memory (100, used 60) would be exceeded (requesting 41)"
    )
    expect(Either.isRight(one.checkUnikernel(n("a:y"), cfg({ memory: 40 })))).toBe(true)
    expect(err(r.checkUnikernel(n("a:y"), cfg({ cpuids: [5, 0, 2] })))).toBe("CPUids 2, 5 are not allowed by policy")
    expect(
      err(
        r.checkUnikernel(
          n("a:y"),
          cfg({ bridges: [{ netif: "z", bridge: null, mac: null }, { netif: "service", bridge: null, mac: null }, { netif: "q", bridge: "b", mac: null }] })
        )
      )
    ).toBe("bridges z, b not allowed by policy")
    const two = ok(start(one, "a:y", cfg({ memory: 10 })))
    expect(err(two.checkUnikernel(n("a:z"), cfg({ memory: 1 })))).toBe("maximum amount of unikernels (2) reached")
    expect(err(two.checkUnikernel(n("a:x"), cfg({ memory: 1 })))).toBe("maximum amount of unikernels (2) reached")
    // the policy is checked before the name
    const full = withPolicies([["a:", policy({ unikernels: 1n })]], ok(start(withPolicies([]), "a:x")))
    expect(err(full.checkUnikernel(n("a:x"), cfg()))).toBe("maximum amount of unikernels (1) reached")
  })

  it("without any policy on the way nothing is limited", () => {
    const r = withPolicies([["other:", policy({ unikernels: 0n, memory: 0 })]])
    expect(Either.isRight(r.checkUnikernel(n("a:b:x"), cfg({ memory: 1e6, cpuids: [99] })))).toBe(true)
  })

  it("root-level unikernels are checked against the root policy, counting every unikernel", () => {
    let r = withPolicies([[":", policy({ unikernels: 2n, memory: 1000 })]])
    r = ok(start(r, "a:b:deep", cfg({ memory: 500 })))
    expect(err(r.checkUnikernel(n("top"), cfg({ memory: 501 })))).toBe(
      "maximum allowed memory (1000, used 500) would be exceeded (requesting 501)"
    )
    r = ok(start(r, "top", cfg({ memory: 10 })))
    expect(err(r.checkUnikernel(n("top2"), cfg()))).toBe("maximum amount of unikernels (2) reached")
  })

  it("FIX: sibling delegations together cannot exceed their parent's totals", () => {
    // alice may run 2 unikernels with 1024 MB in total; she delegates the full amount to bob and to carol
    let r = withPolicies([
      ["alice:", policy({ unikernels: 2n, memory: 1024 })],
      ["alice:bob:", policy({ unikernels: 2n, memory: 1024 })],
      ["alice:carol:", policy({ unikernels: 2n, memory: 1024 })]
    ])
    r = ok(start(r, "alice:bob:x", cfg({ memory: 512 })))
    r = ok(start(r, "alice:carol:y", cfg({ memory: 256 })))
    // carol's own policy admits one more, alice's does not (the reference accepted it)
    expect(err(r.checkUnikernel(n("alice:carol:z"), cfg({ memory: 64 })))).toBe("maximum amount of unikernels (2) reached")
    const fewer = ok(r.removeUnikernel(n("alice:bob:x")))
    expect(err(fewer.checkUnikernel(n("alice:carol:z"), cfg({ memory: 769 })))).toBe(
      "maximum allowed memory (1024, used 256) would be exceeded (requesting 769)"
    )
    expect(Either.isRight(fewer.checkUnikernel(n("alice:carol:z"), cfg({ memory: 768 })))).toBe(true)
  })

  it("FIX: a parent's cpuids and bridges bind a delegation without a policy of its own", () => {
    const r = withPolicies([["alice:", policy({ cpuids: [1], bridges: ["service"] })]])
    expect(err(r.checkUnikernel(n("alice:sub:x"), cfg({ cpuids: [2] })))).toBe("CPUids 2 are not allowed by policy")
    expect(err(r.checkUnikernel(n("alice:sub:x"), cfg({ cpuids: [1], bridges: [{ netif: "ext", bridge: null, mac: null }] })))).toBe(
      "bridges ext not allowed by policy"
    )
  })

  it("FIX: the root (host) policy binds every unikernel; the nearest failing policy is reported", () => {
    let r = withPolicies([
      [":", policy({ unikernels: 100n, memory: 1000 })],
      ["alice:", policy({ unikernels: 100n, memory: 1000 })]
    ])
    r = ok(start(r, "big", cfg({ memory: 600 })))
    expect(err(r.checkUnikernel(n("alice:web"), cfg({ memory: 600 })))).toBe(
      "maximum allowed memory (1000, used 600) would be exceeded (requesting 600)"
    )
    r = ok(start(r, "alice:web", cfg({ memory: 300 })))
    // alice's own policy (used 300) fails before the root's (used 900)
    expect(err(r.checkUnikernel(n("alice:web2"), cfg({ memory: 800 })))).toBe(
      "maximum allowed memory (1000, used 300) would be exceeded (requesting 800)"
    )
  })

  it("checks block devices next to the unikernel, then the name", () => {
    let r = withPolicies([])
    r = ok(r.addBlock(n("a:data"), 10))
    const disk = (name: string, device: string | null = null) => cfg({ blockDevices: [{ name, device, sectorSize: null }] })
    expect(err(r.checkUnikernel(n("a:x"), disk("nope")))).toBe("block device a:nope not found")
    expect(err(r.checkUnikernel(n("b:x"), disk("data")))).toBe("block device b:data not found")
    expect(Either.isRight(r.checkUnikernel(n("a:x"), disk("data")))).toBe(true)
    expect(Either.isRight(r.checkUnikernel(n("a:x"), disk("blk0", "data")))).toBe(true)
    r = ok(start(r, "a:x", disk("data")))
    expect(r.findBlock(n("a:data"))).toEqual({ size: 10, active: true })
    expect(err(r.checkUnikernel(n("a:y"), disk("data")))).toBe("block device a:data already in use")
    expect(err(r.checkUnikernel(n("a:x"), cfg()))).toBe("unikernel with same name already exists")
    // block devices are checked before the name
    expect(err(r.checkUnikernel(n("a:x"), disk("data")))).toBe("block device a:data already in use")
  })

  it("zvol devices at exactly the --allow-zvol-for path are neither checked nor tracked", () => {
    const r0 = Resources.empty<Running>(["bhyve"])
    const zvol = cfg({ blockDevices: [{ name: "disk", device: "/dev/zvol/tank/vm", sectorSize: null }] })
    expect(Either.isRight(r0.checkUnikernel(n("bhyve:vm"), zvol))).toBe(true)
    expect(err(r0.checkUnikernel(n("bhyve:sub:vm"), zvol))).toBe("block device bhyve:sub:/dev/zvol/tank/vm not found")
    expect(err(Resources.empty<Running>().checkUnikernel(n("bhyve:vm"), zvol))).toBe("block device bhyve:/dev/zvol/tank/vm not found")
    const r1 = ok(start(r0, "bhyve:vm", zvol))
    expect(r1.blockDevices.isEmpty).toBe(true)
    expect(r1.findUnikernel(n("bhyve:vm"))?.pid).toBe(1)
    expect(ok(r1.removeUnikernel(n("bhyve:vm"))).unikernels.isEmpty).toBe(true)
    expect(isZvolExempt(["bhyve"], Name.of(["bhyve"], "/dev/zvolx"))).toBe(true)
    expect(isZvolExempt(["bhyve"], Name.of(["bhyve"], "/dev/zfs"))).toBe(false)
    expect(isZvolExempt(null, Name.of(["bhyve"], "/dev/zvol/a"))).toBe(false)
  })
})

describe("insertUnikernel / removeUnikernel", () => {
  const disk = cfg({ blockDevices: [{ name: "data", device: null, sectorSize: null }, { name: "b", device: "logs", sectorSize: 512 }] })

  it("marks block devices active and inactive again; the old value is unchanged", () => {
    const r0 = ok(ok(withPolicies([]).addBlock(n("a:data"), 10)).addBlock(n("a:logs"), 5))
    const r1 = ok(r0.insertUnikernel(n("a:x"), { config: disk, pid: 7 }))
    expect(r1.findBlock(n("a:logs"))?.active).toBe(true)
    expect(r0.findBlock(n("a:logs"))?.active).toBe(false)
    expect(r0.findUnikernel(n("a:x"))).toBeUndefined()
    expect(r1.blockUsage(["a"])).toEqual({ active: 15, inactive: 0 })
    const r2 = ok(r1.removeUnikernel(n("a:x")))
    expect(r2.blockUsage(["a"])).toEqual({ active: 0, inactive: 15 })
    expect(r2.findUnikernel(n("a:x"))).toBeUndefined()
    expect(r1.findUnikernel(n("a:x"))?.pid).toBe(7)
  })

  it("fails with the reference's texts", () => {
    const r0 = ok(withPolicies([]).addBlock(n("a:data"), 10))
    expect(err(r0.insertUnikernel(n("a:x"), { config: disk, pid: 1 }))).toBe("block device a:logs not in trie")
    const active = ok(r0.setBlockActive(n("a:data")))
    expect(err(active.insertUnikernel(n("a:x"), { config: cfg({ blockDevices: [{ name: "data", device: null, sectorSize: null }] }), pid: 1 }))).toBe(
      "block device a:data already in state active"
    )
    const r1 = ok(r0.insertUnikernel(n("a:x"), { config: cfg(), pid: 1 }))
    expect(err(r1.insertUnikernel(n("a:x"), { config: cfg(), pid: 2 }))).toBe("unikernel a:x already exists in trie")
    expect(err(r1.removeUnikernel(n("a:y")))).toBe("unknown unikernel")
  })

  it("counts usage over the subtree, including the alice:/:alice collision", () => {
    let r = withPolicies([])
    for (const [name, memory] of [["alice:web", 100], ["alice:bob:db", 50], ["alice", 7], ["zed", 1]] as const)
      r = ok(start(r, name, cfg({ memory })))
    expect(r.unikernelUsage(["alice"])).toEqual({ unikernels: 3, memory: 157 })
    expect(r.unikernelUsage(["alice", "bob"])).toEqual({ unikernels: 1, memory: 50 })
    expect(r.unikernelUsage([])).toEqual({ unikernels: 4, memory: 158 })
    expect(r.unikernelUsage(["nobody"])).toEqual({ unikernels: 0, memory: 0 })
  })
})

describe("block devices (spec §3.5)", () => {
  it("checkBlock: free name, then the block quota", () => {
    let r = withPolicies([["a:", policy({ block: 100 })], ["nob:", policy({ block: null })]])
    expect(Either.isRight(r.checkBlock(n("free:x"), 1e6))).toBe(true)
    expect(err(r.checkBlock(n("nob:x"), 1))).toBe("no block devices are allowed by policy")
    r = ok(r.addBlock(n("a:one"), 60))
    expect(err(r.checkBlock(n("a:one"), 1))).toBe("block device with name [unikernel: a:one] already exists")
    expect(err(r.checkBlock(n("a:two"), 41))).toBe("block device policy limit of 100 MB (used 60 MB) would be exceeded by the request (41 MB)")
    r = ok(r.addBlock(n("a:two"), 40))
    expect(r.findBlock(n("a:two"))).toEqual({ size: 40, active: false })
    expect(r.totalBlockUsage(["a"])).toBe(100)
  })

  it("FIX: the quota of every ancestor with a policy binds (sibling delegations share the parent's storage)", () => {
    let r = withPolicies([
      ["a:", policy({ block: 100 })],
      ["a:b:", policy({ block: 100 })],
      ["a:c:", policy({ block: 100 })]
    ])
    r = ok(r.addBlock(n("a:b:disk"), 70))
    expect(err(r.checkBlock(n("a:c:disk"), 31))).toBe(
      "block device policy limit of 100 MB (used 70 MB) would be exceeded by the request (31 MB)"
    )
    expect(Either.isRight(r.checkBlock(n("a:c:disk"), 30))).toBe(true)
    // a delegation below a parent without block storage gets none
    const none = withPolicies([["p:", policy({ block: null })]])
    expect(err(none.checkBlock(n("p:q:disk"), 1))).toBe("no block devices are allowed by policy")
  })

  it("removeBlock and the activation texts", () => {
    let r = ok(withPolicies([]).addBlock(n("a:d"), 5))
    expect(err(r.removeBlock(n("a:e")))).toBe("unknown block device a:e")
    expect(err(r.setBlockInactive(n("a:d")))).toBe("block device a:d already in state inactive")
    expect(err(r.setBlockActive(n("a:e")))).toBe("block device a:e not in trie")
    r = ok(r.setBlockActive(n("a:d")))
    expect(err(r.setBlockActive(n("a:d")))).toBe("block device a:d already in state active")
    expect(err(r.removeBlock(n("a:d")))).toBe("block device a:d in use")
    r = ok(r.setBlockInactive(n("a:d")))
    expect(ok(r.removeBlock(n("a:d"))).blockDevices.isEmpty).toBe(true)
  })
})

describe("consoleQuota (spec §3.6) and helpers", () => {
  it("is max_int at the root, the policy's unikernels at a path, 0 without policy", () => {
    const r = withPolicies([["a:", policy({ unikernels: 7n })]])
    expect(r.consoleQuota(n("x"))).toBe(OCAML_MAX_INT)
    expect(r.consoleQuota(n("a:x"))).toBe(7n)
    expect(r.consoleQuota(n("a:b:x"))).toBe(0n)
  })
  it("pathsToRoot and policiesAbove go from the path up to the root", () => {
    expect(pathsToRoot(["a", "b"])).toEqual([["a", "b"], ["a"], []])
    expect(pathsToRoot([])).toEqual([[]])
    const r = withPolicies([[":", policy()], ["a:", policy({ unikernels: 3n })], ["a:b:c:", policy({ unikernels: 1n })]])
    expect(r.policiesAbove(["a", "b", "c", "d"]).map(([p]) => p)).toEqual([["a", "b", "c"], ["a"], []])
    expect(r.policiesAbove(["z"]).map(([p]) => p)).toEqual([[]])
  })
})

// ---- property: whatever is started through checkUnikernel, no policy is ever exceeded ----------

const paths: ReadonlyArray<ReadonlyArray<string>> = [[], ["a"], ["a", "b"], ["a", "c"], ["a", "b", "d"], ["e"]]
const policyArb: fc.Arbitrary<Policy> = fc.record({
  unikernels: fc.bigInt({ min: 0n, max: 4n }),
  cpuids: fc.constant([0, 1]),
  memory: fc.integer({ min: 0, max: 400 }),
  block: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
  bridges: fc.constant(["service"])
})
type Step =
  | { readonly kind: "start"; readonly at: number; readonly label: string; readonly memory: number }
  | { readonly kind: "stop"; readonly index: number }
  | { readonly kind: "block"; readonly at: number; readonly label: string; readonly size: number }
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("start" as const), at: fc.nat(paths.length - 1), label: fc.constantFrom("u1", "u2", "u3"), memory: fc.integer({ min: 0, max: 150 }) }),
  fc.record({ kind: fc.constant("stop" as const), index: fc.nat(20) }),
  fc.record({ kind: fc.constant("block" as const), at: fc.nat(paths.length - 1), label: fc.constantFrom("d1", "d2"), size: fc.integer({ min: 0, max: 120 }) })
)

describe("accounting properties", () => {
  it("after any sequence of checked starts, stops and block adds, every policy holds over its subtree", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(paths.length - 1), policyArb), { maxLength: 6 }), fc.array(stepArb, { maxLength: 40 }), (pols, steps) => {
        let r = Resources.empty<Running>()
        for (const [i, p] of pols) {
          const next = r.insertPolicy(paths[i]!, p)
          if (Either.isRight(next)) r = next.right
        }
        for (const step of steps) {
          if (step.kind === "start") {
            const next = start(r, Name.of(paths[step.at]!, step.label).toString(), cfg({ memory: step.memory }))
            if (Either.isRight(next)) r = next.right
          } else if (step.kind === "stop") {
            const running = r.unikernels.all()
            if (running.length > 0) r = ok(r.removeUnikernel(running[step.index % running.length]![0]))
          } else {
            const next = r.addBlock(Name.of(paths[step.at]!, step.label), step.size)
            if (Either.isRight(next)) r = next.right
          }
        }
        for (const [name, p] of r.policies.all()) {
          const at = name.key()
          const use = r.unikernelUsage(at)
          expect(BigInt(use.unikernels) <= p.unikernels).toBe(true)
          expect(use.memory).toBeLessThanOrEqual(p.memory)
          if (r.totalBlockUsage(at) > 0) expect(r.totalBlockUsage(at)).toBeLessThanOrEqual(p.block ?? -1)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("stopping what was started gives back the same usage (force-create computes resources without X)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(paths.length - 1), fc.constantFrom("u1", "u2", "u3"), fc.integer({ min: 0, max: 100 })), { maxLength: 12 }), (starts) => {
        let r = Resources.empty<Running>()
        const started: Array<Name> = []
        for (const [at, label, memory] of starts) {
          const name = Name.of(paths[at]!, label)
          const next = start(r, name.toString(), cfg({ memory }))
          if (Either.isRight(next)) {
            r = next.right
            started.push(name)
          }
        }
        const before = r
        for (const name of started) r = ok(r.removeUnikernel(name))
        expect(r.unikernels.isEmpty).toBe(true)
        expect(r.unikernelUsage([])).toEqual({ unikernels: 0, memory: 0 })
        expect(before.unikernels.all().length).toBe(started.length)
      })
    )
  })
})
