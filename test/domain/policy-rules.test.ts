/** Policy usable / isSmaller against the recorded tables, and the policy display text (spec §2.1). */
import * as fc from "fast-check"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { Policy } from "../../src/domain/policy.js"
import { isSmaller, policyDisplay, policyEquals, usable } from "../../src/domain/policy-rules.js"
import { type Json, policyFromJson } from "../support/vector-values.js"
import { asResult, type CheckResult, loadRows } from "./vector-files.js"

interface UsableRow {
  readonly policy: Json
  readonly result: CheckResult
}
interface IsSmallerRow {
  readonly name: string
  readonly super: Json
  readonly sub: Json
  readonly result: CheckResult
}

describe("policy-usable.json", () => {
  const rows = loadRows<UsableRow>("policy-usable.json")
  it.each(rows.map((r, i) => [i, JSON.stringify(r.policy), r] as const))("row %i %s", (_, __, r) => {
    expect(asResult(usable(policyFromJson(r.policy)))).toEqual(r.result)
  })
})

describe("policy-is-smaller.json", () => {
  // memory and block sizes beyond 2^53 MB are refused by our wire decoder (docs/COMPATIBILITY.md,
  // "Wire codec"), so no policy holding them can exist here; those rows are exactly the unrepresentable ones
  const fits = (j: Json): boolean => {
    const p = j as { memory: Json; block: Json }
    return [p.memory, p.block].every((v) => v === null || typeof v === "number")
  }
  const rows = loadRows<IsSmallerRow>("policy-is-smaller.json")
  const representable = rows.filter((r) => fits(r.super) && fits(r.sub))
  it.each(representable.map((r) => [r.name, r] as const))("%s", (_, r) => {
    expect(asResult(isSmaller(policyFromJson(r.super), policyFromJson(r.sub)))).toEqual(r.result)
  })
  it("leaves out only the rows with sizes beyond 2^53", () => {
    const out = rows.filter((r) => !(fits(r.super) && fits(r.sub)))
    expect(out.map((r) => r.name)).toEqual(["huge-values", "sub-more-block-than-int"])
    expect(representable.length).toBe(rows.length - 2)
  })
})

const policy = (p: Partial<Policy> = {}): Policy => ({
  unikernels: 10n,
  cpuids: [0, 1],
  memory: 1024,
  block: null,
  bridges: [],
  ...p
})

describe("policyDisplay (Policy.pp)", () => {
  it("renders every field as the reference", () => {
    expect(policyDisplay(policy({ bridges: ["service", "ext"], block: 100 }))).toBe(
      "policy: 10 unikernels 0,1 CPUids 1024 MB memory 100 MB block, bridges: ext, service"
    )
    expect(policyDisplay(policy())).toBe("policy: 10 unikernels 0,1 CPUids 1024 MB memory no block")
    expect(policyDisplay(policy({ cpuids: [] }))).toBe("policy: 10 unikernels  CPUids 1024 MB memory no block")
    // the discovered root policy
    expect(policyDisplay(policy({ unikernels: 4611686018427387903n, cpuids: [3, 2, 1, 0], block: 0 }))).toBe(
      "policy: 4611686018427387903 unikernels 0,1,2,3 CPUids 1024 MB memory 0 MB block"
    )
  })
  it("prints memory with %u, as OCaml does for a negative value", () => {
    expect(policyDisplay(policy({ memory: -1 }))).toBe(
      "policy: 10 unikernels 0,1 CPUids 18446744073709551615 MB memory no block"
    )
  })
})

const policyArb: fc.Arbitrary<Policy> = fc.record({
  unikernels: fc.bigInt({ min: 0n, max: 100n }),
  cpuids: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }).map((xs) => xs.sort((a, b) => a - b)),
  memory: fc.integer({ min: 0, max: 4096 }),
  block: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: null }),
  bridges: fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { maxLength: 4 }).map((xs) => xs.sort())
})

describe("isSmaller properties", () => {
  it("is reflexive", () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        expect(Either.isRight(isSmaller(p, p))).toBe(true)
      })
    )
  })
  it("is transitive", () => {
    fc.assert(
      fc.property(policyArb, policyArb, policyArb, (a, b, c) => {
        if (Either.isRight(isSmaller(a, b)) && Either.isRight(isSmaller(b, c)))
          expect(Either.isRight(isSmaller(a, c))).toBe(true)
      })
    )
  })
  it("holds exactly when every field fits", () => {
    fc.assert(
      fc.property(policyArb, policyArb, (sup, sub) => {
        const fits =
          sub.unikernels <= sup.unikernels &&
          sub.memory <= sup.memory &&
          sub.cpuids.every((c) => sup.cpuids.includes(c)) &&
          sub.bridges.every((b) => sup.bridges.includes(b)) &&
          (sub.block === null || (sup.block !== null && sub.block <= sup.block))
        expect(Either.isRight(isSmaller(sup, sub))).toBe(fits)
      })
    )
  })
})

describe("policyEquals", () => {
  it("compares cpuids and bridges as sets", () => {
    expect(policyEquals(policy({ cpuids: [1, 0], bridges: ["b", "a"] }), policy({ cpuids: [0, 1], bridges: ["a", "b"] }))).toBe(true)
    expect(policyEquals(policy(), policy({ cpuids: [0] }))).toBe(false)
    expect(policyEquals(policy(), policy({ block: 0 }))).toBe(false)
    expect(policyEquals(policy(), policy({ unikernels: 11n }))).toBe(false)
    expect(policyEquals(policy(), policy({ memory: 1 }))).toBe(false)
    expect(policyEquals(policy(), policy({ bridges: ["a"] }))).toBe(false)
  })
})
