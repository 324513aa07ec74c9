/** Invariants of the console registry under random sequences of operations (spec §7.2-7.5). */
import { Effect, Either } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { ConsoleRegistry } from "../../src/daemons/console/registry.js"
import type { Subscriber } from "../../src/daemons/console/subscriber.js"

type Labelled = Name & { readonly label: string }
const names: ReadonlyArray<Labelled> = ["a:x", "a:y", "a:z", "b:x", "b:c:y", ":x"].map(
  (s) => Either.getOrThrow(Name.fromString(s)) as Labelled
)

type Op =
  | { readonly op: "add"; readonly name: number; readonly n: number }
  | { readonly op: "subscribe"; readonly name: number }
  | { readonly op: "end"; readonly name: number }
  | { readonly op: "leave"; readonly which: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), name: fc.nat(names.length - 1), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant("subscribe" as const), name: fc.nat(names.length - 1) }),
  fc.record({ op: fc.constant("end" as const), name: fc.nat(names.length - 1) }),
  fc.record({ op: fc.constant("leave" as const), which: fc.nat(20) })
)

const fakeSubscriber = (id: number, closed: Set<number>): Subscriber => ({
  id,
  offer: () => true,
  offerAlways: () => {},
  lost: () => 0,
  queuedBytes: () => 0,
  close: Effect.sync(() => void closed.add(id))
})

describe("console registry", () => {
  it("property: at most max subscribers per console, closed ones gone, nothing empty kept, list-inactive exact", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const registry = new ConsoleRegistry(max)
        const closed = new Set<number>()
        const live = new Map<number, Labelled>()
        const readers = new Map<string, number>()
        let nextId = 1
        // what the handler does when a subscriber's connection closes
        const settle = (subs: ReadonlyArray<Subscriber>) => {
          for (const s of subs) {
            Effect.runSync(s.close)
            const n = live.get(s.id)
            if (n !== undefined) registry.unsubscribe(n, s)
            live.delete(s.id)
          }
        }
        for (const o of ops) {
          if (o.op === "add") {
            const r = registry.add(names[o.name]!, BigInt(o.n))
            readers.set(names[o.name]!.toString(), r.reader)
            settle(r.dropped)
          } else if (o.op === "subscribe") {
            const sub = fakeSubscriber(nextId++, closed)
            live.set(sub.id, names[o.name]!)
            const r = registry.subscribe(names[o.name]!, sub)
            expect(r.reply).toBe(r.ring === undefined ? "waiting for VM" : "subscribed")
            settle(r.dropped)
          } else if (o.op === "end") {
            const entry = registry.lookup(names[o.name]!)
            const reader = readers.get(names[o.name]!.toString())
            if (entry !== undefined && reader !== undefined) registry.readerEnded(entry, reader)
          } else {
            const ids = [...live.keys()]
            if (ids.length > 0) {
              const id = ids[o.which % ids.length]!
              const sub = registry.allSubscribers().find((s) => s.id === id)
              if (sub !== undefined) settle([sub])
              else live.delete(id)
            }
          }
          const inactive: Array<string> = []
          for (const n of names) {
            const e = registry.lookup(n)
            if (e === undefined) continue
            expect(e.subscribers.length).toBeLessThanOrEqual(max)
            for (const s of e.subscribers) expect(closed.has(s.id)).toBe(false)
            expect(e.active || e.ring !== undefined || e.subscribers.length > 0).toBe(true)
            if (!e.active && e.ring !== undefined) inactive.push(n.toString())
          }
          expect(registry.listInactive([]).map(String).sort()).toEqual(inactive.sort())
        }
      }),
      { numRuns: 500 }
    )
  })
})
