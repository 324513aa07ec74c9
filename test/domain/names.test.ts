/** Label, Path and Name parsing against names.json (every string through the reference's three parsers). */
import { Either } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { LABEL_ERROR, Name, parseLabel, parsePath, pathToString } from "../../src/domain/name.js"
import { loadRows } from "./vector-files.js"

type Failed = { readonly ok: false; readonly error: string }
interface NameRow {
  readonly input: string
  readonly name_of_string:
    | { readonly ok: true; readonly to_string: string; readonly path: Array<string>; readonly label: string | null; readonly is_root: boolean }
    | Failed
  readonly label_of_string: { readonly ok: true; readonly to_string: string } | Failed
  readonly path_of_string: { readonly ok: true; readonly to_string: string; readonly labels: Array<string> } | Failed
}

const rows = loadRows<NameRow>("names.json")

describe("names.json", () => {
  it("covers every row (66 strings)", () => {
    expect(rows.length).toBe(66)
    for (const r of rows) expect(typeof r.input).toBe("string")
  })

  describe.each(rows.map((r) => [JSON.stringify(r.input), r] as const))("%s", (_, r) => {
    it("Name.fromString", () => {
      const got = Name.fromString(r.input)
      const want = r.name_of_string
      if (want.ok) {
        expect(Either.isRight(got)).toBe(true)
        const n = Either.getOrThrow(got)
        expect(n.toString()).toBe(want.to_string)
        expect(n.path).toEqual(want.path)
        expect(n.label).toBe(want.label)
        expect(n.isRoot).toBe(want.is_root)
      } else {
        expect(got).toEqual(Either.left(want.error))
      }
    })

    it("parseLabel", () => {
      const want = r.label_of_string
      expect(parseLabel(r.input)).toEqual(want.ok ? Either.right(want.to_string) : Either.left(want.error))
    })

    it("parsePath", () => {
      const got = parsePath(r.input)
      const want = r.path_of_string
      if (want.ok) {
        expect(got).toEqual(Either.right(want.labels))
        expect(pathToString(Either.getOrThrow(got))).toBe(want.to_string)
      } else {
        expect(got).toEqual(Either.left(want.error))
      }
    })
  })
})

const labelChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
const label = fc
  .array(labelChar, { minLength: 1, maxLength: 63 })
  .map((cs) => cs.join(""))
  .filter((s) => !s.startsWith("-"))
const path = fc.array(label, { maxLength: 6 })

describe("name properties", () => {
  it("a valid label parses to its lower-case form, and parsing is idempotent", () => {
    fc.assert(
      fc.property(label, (l) => {
        expect(parseLabel(l)).toEqual(Either.right(l.toLowerCase()))
        expect(parseLabel(l.toLowerCase())).toEqual(Either.right(l.toLowerCase()))
      })
    )
  })

  it("labels longer than 63 characters, starting with '-', or holding other characters are refused", () => {
    fc.assert(
      fc.property(label, fc.string({ minLength: 1, maxLength: 3 }), (l, junk) => {
        expect(parseLabel(l + "a".repeat(64 - l.length))).toEqual(Either.left(LABEL_ERROR))
        expect(parseLabel("-" + l)).toEqual(Either.left(LABEL_ERROR))
        const bad = [...junk].some((c) => !/[a-zA-Z0-9.-]/.test(c))
        if (bad) expect(parseLabel(l.slice(0, 60) + junk)).toEqual(Either.left(LABEL_ERROR))
      })
    )
    expect(parseLabel("a".repeat(63))).toEqual(Either.right("a".repeat(63)))
    expect(parseLabel("a".repeat(64))).toEqual(Either.left(LABEL_ERROR))
  })

  it("Name.fromString(n.toString()) gives n back, for unikernel names and path-names", () => {
    fc.assert(
      fc.property(path, fc.option(label, { nil: null }), (p, l) => {
        const lower = p.map((x) => x.toLowerCase())
        const n = Name.of(lower, l === null ? null : l.toLowerCase())
        if (lower.length === 0 && l === null) {
          expect(n.toString()).toBe(":")
          expect(Either.getOrThrow(Name.fromString(":")).isRoot).toBe(true)
          return
        }
        const back = Either.getOrThrow(Name.fromString(n.toString()))
        expect(back.path).toEqual(n.path)
        expect(back.label).toBe(n.label)
        expect(back.toString()).toBe(n.toString())
      })
    )
  })

  it("parsing lower-cases every label and accepts a leading ':'", () => {
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 5 }), (ls) => {
        const text = ls.join(":")
        const want = ls.map((x) => x.toLowerCase())
        expect(parsePath(text)).toEqual(Either.right(want))
        expect(parsePath(":" + text)).toEqual(Either.right(want))
        const n = Either.getOrThrow(Name.fromString(text))
        expect([...n.path, n.label]).toEqual(want)
        const p = Either.getOrThrow(Name.fromString(text + ":"))
        expect(p.path).toEqual(want)
        expect(p.label).toBeNull()
      })
    )
  })
})

describe("name operations", () => {
  const n = (s: string): Name => Either.getOrThrow(Name.fromString(s))

  it("renders as on the wire and in logs (spec §1.3)", () => {
    expect(n("foo").toString()).toBe(":foo")
    expect(n("alice:web").toString()).toBe("alice:web")
    expect(n("alice:").toString()).toBe("alice:")
    expect(Name.root.toString()).toBe(":")
    expect(n("alice:web").display()).toBe("[unikernel: alice:web]")
    expect(n("foo").display()).toBe("[unikernel: :foo]")
    expect(Name.root.display()).toBe("[unikernel: :]")
  })

  it("key, dropLabel, dropPath, blockName", () => {
    expect(n("alice:bob:web").key()).toEqual(["alice", "bob", "web"])
    expect(n("alice:bob:").key()).toEqual(["alice", "bob"])
    expect(Name.root.key()).toEqual([])
    expect(n("alice:web").dropLabel().toString()).toBe("alice:")
    expect(n("alice:web").dropPath().toString()).toBe(":web")
    expect(n("alice:web").blockName("data").toString()).toBe("alice:data")
    expect(n("web").blockName("data").toString()).toBe(":data")
  })

  it("dropPrefix strips a leading path and refuses a non-prefix", () => {
    expect(n("alice:bob:web").dropPrefix(["alice"])?.toString()).toBe("bob:web")
    expect(n("alice:bob:web").dropPrefix(["alice", "bob"])?.toString()).toBe(":web")
    expect(n("alice:bob:").dropPrefix(["alice", "bob"])?.toString()).toBe(":")
    expect(n("alice:web").dropPrefix([])?.toString()).toBe("alice:web")
    expect(n("alice:web").dropPrefix(["bob"])).toBeUndefined()
    expect(n("alice:web").dropPrefix(["alice", "web"])).toBeUndefined()
    expect(n("alice:").dropPrefix(["alice", "bob"])).toBeUndefined()
  })
})
