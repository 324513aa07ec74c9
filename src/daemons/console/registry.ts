/**
 * What albatross-console knows (spec §7.1): per path, the ring-buffer allowance `n` from the
 * last `Console_add` and, per label, the subscribers (newest first), whether the unikernel is
 * running, and its ring buffer. Nothing is persisted.
 *
 * Plain synchronous state: every change happens inside one synchronous step of the event loop,
 * so no two connections interleave within a change. Subscribers to close are returned to the
 * caller, which closes them as an Effect.
 */
import { Name } from "../../domain/name.js"
import { consoleHeader } from "./frames.js"
import { Ring } from "./ring.js"
import { QueueBudget, type Subscriber } from "./subscriber.js"

export interface ConsoleEntry {
  /** Newest first. */
  subscribers: Array<Subscriber>
  active: boolean
  ring: Ring | undefined
  /** DER header of every line sent for this console. */
  readonly header: Uint8Array
  /** Which reader owns the entry: only the newest reader's end marks it inactive. */
  reader: number
  /** Lines read from the FIFO over the console's life (restarts included). */
  linesRead: number
}

interface PathEntry {
  n: bigint
  readonly consoles: Map<string, ConsoleEntry>
}

/** What the per-path cap did when a console was added. */
export type CapOutcome =
  | { readonly _tag: "Within" }
  | { readonly _tag: "Dropped"; readonly label: string; readonly subscribers: Array<Subscriber> }
  | { readonly _tag: "NothingToDrop" }

export type SubscribeReply = "subscribed" | "waiting for VM"

const pathKey = (path: ReadonlyArray<string>): string => path.join(":")

export class ConsoleRegistry {
  private readonly paths = new Map<string, PathEntry>()
  private readerCounter = 0
  /** Lines lost by slow subscribers, over the daemon's life. */
  linesLost = 0

  /**
   * `maxSubscribers` >= 1: at most that many subscribers per console (the reference allowed one
   * more). `budget`: bytes queued for all subscribers together.
   */
  constructor(
    readonly maxSubscribers: number,
    readonly budget: QueueBudget = new QueueBudget()
  ) {}

  private newEntry(name: Name, active: boolean, ring: Ring | undefined): ConsoleEntry {
    return { subscribers: [], active, ring, header: consoleHeader(name.toString()), reader: 0, linesRead: 0 }
  }

  /** The console of a unikernel, if known. */
  lookup(name: Name): ConsoleEntry | undefined {
    return name.label === null ? undefined : this.paths.get(pathKey(name.path))?.consoles.get(name.label)
  }

  /** Allowance `n` of a path, if known. */
  allowance(path: ReadonlyArray<string>): bigint | undefined {
    return this.paths.get(pathKey(path))?.n
  }

  /** Labels known under a path, sorted. */
  labels(path: ReadonlyArray<string>): Array<string> {
    return [...(this.paths.get(pathKey(path))?.consoles.keys() ?? [])].sort()
  }

  /**
   * `Console_add(n)` after the FIFO was opened (spec §7.2). Returns the entry (active, with a
   * ring), the reader id to pass to `readerEnded`, and subscribers of a dropped console.
   */
  add(
    name: Name & { label: string },
    n: bigint
  ): { entry: ConsoleEntry; reader: number; dropped: Array<Subscriber>; cap: CapOutcome } {
    const key = pathKey(name.path)
    const reader = ++this.readerCounter
    let path = this.paths.get(key)
    if (path === undefined) {
      path = { n, consoles: new Map() }
      this.paths.set(key, path)
    }
    path.n = n
    const existing = path.consoles.get(name.label)
    if (existing !== undefined) {
      // a restart: history and subscribers stay
      existing.active = true
      existing.ring ??= new Ring()
      existing.reader = reader
      return { entry: existing, reader, dropped: [], cap: { _tag: "Within" } }
    }
    const entry = this.newEntry(name, true, new Ring())
    entry.reader = reader
    path.consoles.set(name.label, entry)
    const cap = this.dropIfOver(path)
    return { entry, reader, dropped: cap._tag === "Dropped" ? cap.subscribers : [], cap }
  }

  /**
   * The per-path cap (spec §7.2): with more than `n` consoles, the inactive one with the
   * smallest label goes, its subscribers are closed. With none inactive, nothing goes.
   */
  private dropIfOver(path: PathEntry): CapOutcome {
    if (BigInt(path.consoles.size) <= path.n) return { _tag: "Within" }
    const inactive = [...path.consoles.entries()].filter(([, e]) => !e.active).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const victim = inactive[0]
    if (victim === undefined) return { _tag: "NothingToDrop" }
    path.consoles.delete(victim[0])
    return { _tag: "Dropped", label: victim[0], subscribers: victim[1].subscribers }
  }

  /** The FIFO of `entry` reached its end (the process exited): inactive, history kept. */
  readerEnded(entry: ConsoleEntry, reader: number): void {
    if (entry.reader === reader) entry.active = false
  }

  /**
   * `Console_subscribe` (spec §7.4): registers `sub` (newest first). Returns the reply, the
   * ring to send history from (if any) and subscribers to close: the oldest ones beyond
   * `maxSubscribers`, or those of a console dropped by the path cap.
   */
  subscribe(
    name: Name & { label: string },
    sub: Subscriber
  ): { reply: SubscribeReply; ring: Ring | undefined; entry: ConsoleEntry; dropped: Array<Subscriber> } {
    const key = pathKey(name.path)
    const path = this.paths.get(key)
    if (path === undefined) {
      const entry = this.newEntry(name, false, undefined)
      entry.subscribers.push(sub)
      this.paths.set(key, { n: 1n, consoles: new Map([[name.label, entry]]) })
      return { reply: "waiting for VM", ring: undefined, entry, dropped: [] }
    }
    const existing = path.consoles.get(name.label)
    if (existing !== undefined) {
      // exactly `maxSubscribers` after adding this one: the oldest ones make room
      const keep = Math.max(0, this.maxSubscribers - 1)
      const dropped = existing.subscribers.slice(keep)
      existing.subscribers = [sub, ...existing.subscribers.slice(0, keep)]
      return {
        reply: existing.ring === undefined ? "waiting for VM" : "subscribed",
        ring: existing.ring,
        entry: existing,
        dropped
      }
    }
    const entry = this.newEntry(name, false, undefined)
    entry.subscribers.push(sub)
    path.consoles.set(name.label, entry)
    const cap = this.dropIfOver(path)
    return { reply: "waiting for VM", ring: undefined, entry, dropped: cap._tag === "Dropped" ? cap.subscribers : [] }
  }

  /** A subscriber went away; a console with nothing left (no reader, no ring, no subscriber) is forgotten. */
  unsubscribe(name: Name & { label: string }, sub: Subscriber): void {
    const key = pathKey(name.path)
    const path = this.paths.get(key)
    const entry = path?.consoles.get(name.label)
    if (path === undefined || entry === undefined) return
    entry.subscribers = entry.subscribers.filter((s) => s !== sub)
    if (!entry.active && entry.ring === undefined && entry.subscribers.length === 0) {
      path.consoles.delete(name.label)
      if (path.consoles.size === 0) this.paths.delete(key)
    }
  }

  /**
   * `Console_list_inactive` (spec §7.5): every console under `path` that is inactive and has a
   * ring buffer, named relative to `path`, in the reference's order (deepest paths' order
   * reversed: a path's own labels descending, then its sub-paths in descending order).
   */
  listInactive(path: ReadonlyArray<string>): Array<Name> {
    const under: Array<{ rel: ReadonlyArray<string>; entry: PathEntry }> = []
    for (const [key, entry] of this.paths) {
      const full = key === "" ? [] : key.split(":")
      if (full.length < path.length || path.some((l, i) => full[i] !== l)) continue
      under.push({ rel: full.slice(path.length), entry })
    }
    // reverse of the post-order walk (children ascending, then the node) of the reference's trie fold
    under.sort((a, b) => comparePreorderDescending(a.rel, b.rel))
    const out: Array<Name> = []
    for (const { rel, entry } of under) {
      const labels = [...entry.consoles.entries()]
        .filter(([, e]) => !e.active && e.ring !== undefined)
        .map(([l]) => l)
        .sort()
        .reverse()
      for (const label of labels) out.push(Name.of(rel, label))
    }
    return out
  }

  /** Every subscriber (for shutdown and tests). */
  allSubscribers(): Array<Subscriber> {
    const out: Array<Subscriber> = []
    for (const p of this.paths.values()) for (const e of p.consoles.values()) out.push(...e.subscribers)
    return out
  }

  /** Consoles with a ring buffer (for tests and metrics). */
  ringCount(): number {
    let n = 0
    for (const p of this.paths.values()) for (const e of p.consoles.values()) if (e.ring !== undefined) n++
    return n
  }
}

/** A path before its descendants; siblings in descending label order. */
const comparePreorderDescending = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? 1 : -1
  }
  return a.length - b.length
}
