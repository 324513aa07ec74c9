/**
 * The label trie albatross keeps its policies, block devices, running unikernels, console
 * ring buffers and stats subscriptions in (spec §3.1).
 *
 * A name's key is its path labels followed by its label, if any. Each node holds at most one
 * value plus whether it was inserted under a path-name (`alice:`) or a unikernel name
 * (`:alice`). Both of those have the key `[alice]`, so they share one node: the reference's
 * collision quirk, kept because listings and the state file order depend on it.
 *
 * The trie is persistent: every update returns a new trie and shares the untouched nodes, so
 * the daemon can try a change ("resources without this unikernel") and drop it for free.
 * A node's children are a sorted array (binary search to find, copy on write): the order is
 * OCaml's `String.compare` on the labels, which gives the reference's traversal orders, and
 * walking a subtree (usage sums on every create) is a plain array loop. A persistent sorted map
 * (effect's `SortedMap`) measured several times slower to iterate at 1,000 unikernels, and
 * copying an array of a few thousand children on insert costs microseconds.
 */
import { Name } from "./name.js"

interface Entry<V> {
  readonly value: V
  /** Inserted under a path-name (no label); decides how the node's name is rendered. */
  readonly isPath: boolean
}

type Child<V> = readonly [label: string, node: Node<V>]

interface Node<V> {
  readonly entry: Entry<V> | undefined
  /** Ascending by label. */
  readonly children: ReadonlyArray<Child<V>>
}

const emptyNode = <V>(): Node<V> => ({ entry: undefined, children: [] })

/**
 * Index of `label` among `children`, or `-(insertion point) - 1` when absent. Labels compare
 * by UTF-16 code units, which for the ASCII labels of names is the reference's byte order.
 */
const search = <V>(children: ReadonlyArray<Child<V>>, label: string): number => {
  let lo = 0
  let hi = children.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const l = children[mid]![0]
    if (l < label) lo = mid + 1
    else if (l > label) hi = mid - 1
    else return mid
  }
  return -lo - 1
}

const childOf = <V>(node: Node<V>, label: string): Node<V> | undefined => {
  const i = search(node.children, label)
  return i >= 0 ? node.children[i]![1] : undefined
}

/** The children with `label` set to `child` (added or replaced), or removed when `child` is undefined. */
const withChild = <V>(children: ReadonlyArray<Child<V>>, label: string, child: Node<V> | undefined): ReadonlyArray<Child<V>> => {
  const i = search(children, label)
  const copy = children.slice()
  if (i >= 0) {
    if (child === undefined) copy.splice(i, 1)
    else copy[i] = [label, child]
  } else if (child !== undefined) {
    copy.splice(-i - 1, 0, [label, child])
  }
  return copy
}

/** The name a node's entry is reported under, given the node's key. */
const nameAt = (key: ReadonlyArray<string>, isPath: boolean): Name =>
  isPath || key.length === 0 ? Name.of(key, null) : Name.of(key.slice(0, -1), key[key.length - 1]!)

const forEachBelow = <V>(node: Node<V>, f: (value: V) => void): void => {
  const children = node.children
  for (let i = 0; i < children.length; i++) forEachBelow(children[i]![1], f)
  if (node.entry !== undefined) f(node.entry.value)
}

export class Trie<V> {
  private constructor(private readonly root: Node<V>) {}

  static empty<V>(): Trie<V> {
    return new Trie(emptyNode<V>())
  }

  /** Builds a trie by inserting the entries in order (a later entry replaces an earlier one). */
  static fromEntries<V>(entries: Iterable<readonly [Name, V]>): Trie<V> {
    let t = Trie.empty<V>()
    for (const [name, value] of entries) t = t.insert(name, value)[0]
    return t
  }

  get isEmpty(): boolean {
    return this.root.entry === undefined && this.root.children.length === 0
  }

  /** Stores `value` at `name`'s node; returns the new trie and the value it replaced. */
  insert(name: Name, value: V): readonly [Trie<V>, V | undefined] {
    const key = name.key()
    const entry: Entry<V> = { value, isPath: name.label === null }
    let previous: V | undefined
    const go = (node: Node<V>, i: number): Node<V> => {
      if (i === key.length) {
        previous = node.entry?.value
        return { entry, children: node.children }
      }
      const label = key[i]!
      const next = go(childOf(node, label) ?? emptyNode<V>(), i + 1)
      return { entry: node.entry, children: withChild(node.children, label, next) }
    }
    const root = go(this.root, 0)
    return [new Trie(root), previous]
  }

  /** Drops the value at `name`'s node and prunes nodes left without value and children. */
  remove(name: Name): Trie<V> {
    const key = name.key()
    const go = (node: Node<V>, i: number): Node<V> | undefined => {
      if (i === key.length) return node.children.length === 0 ? undefined : { entry: undefined, children: node.children }
      const label = key[i]!
      const child = childOf(node, label)
      if (child === undefined) return node
      const children = withChild(node.children, label, go(child, i + 1))
      return children.length === 0 && node.entry === undefined ? undefined : { entry: node.entry, children }
    }
    return new Trie(go(this.root, 0) ?? emptyNode<V>())
  }

  /** Exact lookup by key (so `alice:` also finds a value stored as `:alice`). */
  find(name: Name): V | undefined {
    return this.nodeAt(name.key())?.entry?.value
  }

  /** Every value with its absolute name, pre-order: a node, then its children by ascending label. */
  all(): Array<readonly [Name, V]> {
    const out: Array<readonly [Name, V]> = []
    const go = (node: Node<V>, key: ReadonlyArray<string>): void => {
      if (node.entry !== undefined) out.push([nameAt(key, node.entry.isPath), node.entry.value])
      for (const [label, child] of node.children) go(child, [...key, label])
    }
    go(this.root, [])
    return out
  }

  /** Every value without names, pre-order. */
  values(): Array<V> {
    return this.all().map(([, v]) => v)
  }

  /**
   * The values stored on the way from the root down to `name`'s node, that node included,
   * with absolute names; deepest first, as the reference returns them.
   */
  collect(name: Name): Array<readonly [Name, V]> {
    const key = name.key()
    const out: Array<readonly [Name, V]> = []
    let node: Node<V> | undefined = this.root
    for (let i = 0; node !== undefined; i++) {
      if (node.entry !== undefined) out.push([nameAt(key.slice(0, i), node.entry.isPath), node.entry.value])
      if (i === key.length) break
      node = childOf(node, key[i]!)
    }
    return out.reverse()
  }

  /**
   * Folds over the subtree at `path` in post-order (children by ascending label, then the
   * node). Names are relative to `path`: its own node is reported as the root `:`, a
   * unikernel `alice:web` folded at `alice` as `:web`, a path-name `alice:bob:` as `bob:`.
   */
  fold<A>(path: ReadonlyArray<string>, f: (acc: A, name: Name, value: V) => A, init: A): A {
    const start = this.nodeAt(path)
    if (start === undefined) return init
    const go = (node: Node<V>, rel: ReadonlyArray<string>, acc: A): A => {
      let a = acc
      for (const [label, child] of node.children) a = go(child, [...rel, label], a)
      return node.entry === undefined ? a : f(a, nameAt(rel, node.entry.isPath), node.entry.value)
    }
    return go(start, [], init)
  }

  /**
   * Calls `f` with every value under `path`, in `fold`'s order but without the names: usage
   * sums run on every create and should not pay for building a name per visited value.
   */
  forEachValue(path: ReadonlyArray<string>, f: (value: V) => void): void {
    const start = this.nodeAt(path)
    if (start !== undefined) forEachBelow(start, f)
  }

  /** The entries `fold` visits, in its order and with its relative names. */
  entriesUnder(path: ReadonlyArray<string>): Array<readonly [Name, V]> {
    return this.fold<Array<readonly [Name, V]>>(path, (acc, name, v) => (acc.push([name, v]), acc), [])
  }

  private nodeAt(key: ReadonlyArray<string>): Node<V> | undefined {
    let node: Node<V> = this.root
    for (const label of key) {
      const child = childOf(node, label)
      if (child === undefined) return undefined
      node = child
    }
    return node
  }
}
