/** The label trie (spec §3.1): lookups, the alice:/:alice collision, orders and relative names. */
import { Either } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { Trie } from "../../src/domain/trie.js"
import { loadRows } from "./vector-files.js"

const n = (s: string): Name => Either.getOrThrow(Name.fromString(s))
const names = <V>(entries: ReadonlyArray<readonly [Name, V]>): Array<string> => entries.map(([k]) => k.toString())
const build = (...xs: ReadonlyArray<string>): Trie<string> => Trie.fromEntries(xs.map((x) => [n(x), x] as const))

describe("insert, find, remove", () => {
  it("insert returns the replaced value; find is exact", () => {
    const [t1, old1] = Trie.empty<number>().insert(n("alice:web"), 1)
    expect(old1).toBeUndefined()
    const [t2, old2] = t1.insert(n("alice:web"), 2)
    expect(old2).toBe(1)
    expect(t2.find(n("alice:web"))).toBe(2)
    expect(t1.find(n("alice:web"))).toBe(1) // persistent: the old trie is unchanged
    expect(t2.find(n("alice:"))).toBeUndefined()
    expect(t2.find(n("alice:we"))).toBeUndefined()
    expect(t2.find(n("web"))).toBeUndefined()
  })

  it("[QUIRK] path alice: and root-level :alice are the same node", () => {
    const [t, old] = Trie.empty<string>().insert(n("alice:"), "policy")
    expect(old).toBeUndefined()
    expect(t.find(n(":alice"))).toBe("policy")
    const [t2, old2] = t.insert(n(":alice"), "unikernel")
    expect(old2).toBe("policy")
    expect(t2.find(n("alice:"))).toBe("unikernel")
    // the node remembers the last insertion's kind for rendering
    expect(names(t.all())).toEqual(["alice:"])
    expect(names(t2.all())).toEqual([":alice"])
    expect(t2.remove(n("alice:")).isEmpty).toBe(true)
  })

  it("remove prunes empty nodes and keeps nodes that still have children or a value", () => {
    const t = build("a:b:c:d", "a:x", "a:")
    const t1 = t.remove(n("a:b:c:d"))
    expect(names(t1.all())).toEqual(["a:", "a:x"])
    const t2 = t1.remove(n("a:"))
    expect(names(t2.all())).toEqual(["a:x"])
    expect(t2.remove(n("a:x")).isEmpty).toBe(true)
    // removing a path node keeps what is below it
    expect(names(t.remove(n("a:")).all())).toEqual(["a:b:c:d", "a:x"])
    // removing what is not there changes nothing
    expect(names(t.remove(n("zzz:q")).all())).toEqual(names(t.all()))
    expect(names(t.remove(n("a:b:")).all())).toEqual(names(t.all()))
    expect(Trie.empty<string>().remove(Name.root).isEmpty).toBe(true)
  })

  it("holds a value at the root (the root policy)", () => {
    const t = build(":", "a:", ":x")
    expect(t.find(Name.root)).toBe(":")
    expect(names(t.all())).toEqual([":", "a:", ":x"])
    expect(names(t.remove(Name.root).all())).toEqual(["a:", ":x"])
  })
})

describe("all: pre-order, children by ascending label", () => {
  it("orders as the reference's state file", () => {
    const t = build(":z", "m:x", ":m", ":a", "tenant:web", "tenant:", "b:c:d:", "b:")
    expect(names(t.all())).toEqual([":a", "b:", "b:c:d:", ":m", "m:x", "tenant:", "tenant:web", ":z"])
  })

  interface StateVector {
    readonly name: string
    readonly kind: string
    readonly direction: string
    readonly value?: { readonly unikernels: ReadonlyArray<{ name: string }>; readonly policies: ReadonlyArray<{ name: string }> }
  }
  const states = loadRows<StateVector>("vectors.json").filter(
    (v) => v.kind === "state" && v.direction !== "negative" && v.value !== undefined
  )
  it.each(states.map((v) => [v.name, v] as const))("state vector %s lists entries in trie order", (_, v) => {
    for (const list of [v.value!.unikernels, v.value!.policies]) {
      const listed = list.map((e) => e.name)
      expect(names(build(...[...listed].reverse()).all())).toEqual(listed)
    }
  })
})

describe("collect", () => {
  it("gives the values from root to the name, deepest first, absolute names", () => {
    const t = build(":", "a:", "a:b:", "a:b:c", "a:x", "q:")
    expect(names(t.collect(n("a:b:c")))).toEqual(["a:b:c", "a:b:", "a:", ":"])
    expect(t.collect(n("a:b:c")).map(([, v]) => v)).toEqual(["a:b:c", "a:b:", "a:", ":"])
    expect(names(t.collect(n("a:b:zz")))).toEqual(["a:b:", "a:", ":"])
    expect(names(t.collect(n("nope:x")))).toEqual([":"])
    expect(names(t.collect(Name.root))).toEqual([":"])
  })
})

describe("fold: post-order, names relative to the path", () => {
  const t = build(":", "alice:", "alice:bob:", "alice:bob:x", "alice:web", "alice:db", ":alice2", "zed:q")
  const visit = (path: ReadonlyArray<string>): Array<string> => names(t.entriesUnder(path))

  it("reports the node at the path as root, and names below it relative", () => {
    expect(visit(["alice"])).toEqual(["bob:x", "bob:", ":db", ":web", ":"])
    expect(visit(["alice", "bob"])).toEqual([":x", ":"])
    expect(visit(["nobody"])).toEqual([])
  })

  it("from the root, names are absolute and the root comes last", () => {
    expect(visit([])).toEqual(["alice:bob:x", "alice:bob:", "alice:db", "alice:web", "alice:", ":alice2", "zed:q", ":"])
  })

  it("[QUIRK] folding at path alice visits a root-level unikernel :alice (as root)", () => {
    const u = build(":alice")
    expect(names(u.entriesUnder(["alice"]))).toEqual([":"])
    expect(u.fold(["alice"], (acc, _name, v) => acc + v, "")).toBe(":alice")
  })

  it("forEachValue visits the same values in the same order, without names", () => {
    for (const at of [[], ["alice"], ["alice", "bob"], ["nobody"]]) {
      const seen: Array<string> = []
      t.forEachValue(at, (v) => seen.push(v))
      expect(seen).toEqual(t.entriesUnder(at).map(([, v]) => v))
    }
  })

  it("threads the accumulator in visiting order", () => {
    expect(t.fold(["alice", "bob"], (acc: Array<string>, _k, v) => [...acc, v], [])).toEqual(["alice:bob:x", "alice:bob:"])
  })
})

// model-based: the trie against a plain map keyed by the label list
const label = fc.constantFrom("a", "b", "c", "ab", "b0", "z")
const nameArb: fc.Arbitrary<Name> = fc
  .tuple(fc.array(label, { maxLength: 3 }), fc.option(label, { nil: null }))
  .map(([path, l]) => Name.of(path, l))
type Op = { readonly kind: "insert"; readonly name: Name; readonly value: number } | { readonly kind: "remove"; readonly name: Name }
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), name: nameArb, value: fc.integer() }),
  fc.record({ kind: fc.constant("remove" as const), name: nameArb })
)
const keyText = (k: ReadonlyArray<string>): string => JSON.stringify(k)
const compareKeys = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length - b.length
}

describe("trie properties", () => {
  it("behaves as a map keyed by label lists; all() is in pre-order; older versions are untouched", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let t = Trie.empty<number>()
        const model = new Map<string, { name: Name; value: number }>()
        const history: Array<[Trie<number>, Array<string>]> = []
        for (const op of ops) {
          const k = keyText(op.name.key())
          if (op.kind === "insert") {
            const [next, old] = t.insert(op.name, op.value)
            expect(old).toBe(model.get(k)?.value)
            model.set(k, { name: op.name, value: op.value })
            t = next
          } else {
            t = t.remove(op.name)
            model.delete(k)
          }
          history.push([t, names(t.all())])
        }
        const expected = [...model.values()].sort((x, y) => compareKeys(x.name.key(), y.name.key()))
        expect(t.all().map(([k, v]) => [k.toString(), v])).toEqual(expected.map((e) => [e.name.toString(), e.value]))
        for (const e of expected) expect(t.find(e.name)).toBe(e.value)
        expect(t.isEmpty).toBe(model.size === 0)
        for (const [old, listed] of history) expect(names(old.all())).toEqual(listed)
      })
    )
  })

  it("fold at a path visits exactly the entries under it, children before parents", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nameArb, fc.integer()), { maxLength: 30 }), fc.array(label, { maxLength: 2 }), (entries, path) => {
        const t = Trie.fromEntries(entries)
        const under = t
          .all()
          .filter(([k]) => path.every((l, i) => k.key()[i] === l) && k.key().length >= path.length)
        const folded = t.entriesUnder(path)
        expect(folded.map(([, v]) => v).sort()).toEqual(under.map(([, v]) => v).sort())
        // relative name = absolute key minus the path
        const rel = new Map(folded.map(([k, v]) => [keyText(k.key()), v]))
        for (const [k, v] of under) expect(rel.get(keyText(k.key().slice(path.length)))).toBe(v)
        // post-order: an entry's ancestors come after it
        const keys = folded.map(([k]) => k.key())
        keys.forEach((k, i) => keys.slice(0, i).forEach((earlier) => expect(compareKeys(k, earlier) !== 0 && k.length > earlier.length && earlier.every((l, j) => k[j] === l)).toBe(false)))
      })
    )
  })
})
