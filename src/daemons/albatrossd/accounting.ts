/**
 * Resource accounting of albatrossd (spec §3): a mutable holder of the domain's immutable
 * `Resources` (src/domain/resources.ts: policies, block devices and running unikernels in label
 * tries, the static checks on policy insertion, the dynamic checks on create and block add with
 * the deliberate fix that every ancestor policy is enforced). Only touched under the daemon's
 * global lock; a step that fails simply does not replace the value.
 */
import { Either } from "effect"
import { Name } from "../../domain/name.js"
import type { Policy } from "../../domain/policy.js"
import { type BlockDevice, Resources } from "../../domain/resources.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import type { ResourceObserver } from "../../metrics/resources-source.js"

export { policyEquals } from "../../domain/policy-rules.js"

export const keyOf = (labels: ReadonlyArray<string>): string => labels.join(":")

export interface AccountedUnikernel {
  readonly name: Name
  readonly config: UnikernelConfig
}

/** Relative name of an entry found by folding at `path` (spec §3.1). */
export const relativeName = (name: Name, path: ReadonlyArray<string>): Name => {
  if (path.length === 0) return name // the common listing, from the root
  const rel = name.key().slice(path.length)
  if (name.label === null) return Name.of(rel, null)
  if (rel.length === 0) return Name.of([], null)
  return Name.of(rel.slice(0, -1), rel[rel.length - 1]!)
}

/**
 * Order of the reference's listings: a post-order fold consing onto a list, i.e. every node
 * before its subtree, children in descending label order.
 */
export const listingOrder = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i]! < b[i]!) return 1
    if (a[i]! > b[i]!) return -1
  }
  return a.length - b.length
}

/** Trie pre-order (node, then children ascending): the order of the state file and of startup. */
export const preOrder = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i]! < b[i]!) return -1
    if (a[i]! > b[i]!) return 1
  }
  return a.length - b.length
}

const isUnder = (key: ReadonlyArray<string>, path: ReadonlyArray<string>): boolean =>
  path.length <= key.length && path.every((l, i) => key[i] === l)

const errorOf = (r: Either.Either<unknown, string>): string | undefined => (Either.isLeft(r) ? r.left : undefined)

export class Accounting {
  private res: Resources<AccountedUnikernel>

  /** `observer` (self-metrics, spec §3.5) is told about every committed change. */
  constructor(
    zvolPath: ReadonlyArray<string> | undefined,
    private readonly observer?: ResourceObserver
  ) {
    this.res = Resources.empty<AccountedUnikernel>(zvolPath ?? null)
  }

  /** `commit`, then the observer learns that the usage at `path` and above changed. */
  private commitUsage(r: Either.Either<Resources<AccountedUnikernel>, string>, path: ReadonlyArray<string>): string | undefined {
    const refused = this.commit(r)
    if (refused === undefined) this.observer?.usageChanged(this.res, path)
    return refused
  }

  /** Replace the state on success; the error text otherwise. */
  private commit(r: Either.Either<Resources<AccountedUnikernel>, string>): string | undefined {
    if (Either.isLeft(r)) return r.left
    this.res = r.right
    return undefined
  }

  get resources(): Resources<AccountedUnikernel> {
    return this.res
  }

  policyAt(path: ReadonlyArray<string>): Policy | undefined {
    return this.res.findPolicy(path)
  }

  /** Every policy with its path, trie pre-order. */
  policyEntries(): ReadonlyArray<{ readonly name: Name; readonly policy: Policy }> {
    return this.res.policies.all().map(([name, policy]) => ({ name, policy }))
  }

  hasUnikernel(name: Name): boolean {
    return this.res.findUnikernel(name) !== undefined
  }

  get unikernelCount(): number {
    return this.res.unikernels.values().length
  }

  /** Running unikernels and memory in the subtree at `path`. */
  usage(path: ReadonlyArray<string>): { readonly running: number; readonly memory: number } {
    const u = this.res.unikernelUsage(path)
    return { running: u.unikernels, memory: u.memory }
  }

  block(name: Name): BlockDevice | undefined {
    return this.res.findBlock(name)
  }

  blockEntries(): ReadonlyArray<{ readonly name: Name; readonly size: number; readonly active: boolean }> {
    return this.res.blockDevices.all().map(([name, b]) => ({ name, size: b.size, active: b.active }))
  }

  consoleQuota(name: Name): bigint {
    return this.res.consoleQuota(name)
  }

  /** Spec §3.3; `undefined` on success (the policy is then stored). */
  insertPolicy(path: ReadonlyArray<string>, policy: Policy): string | undefined {
    const refused = this.commit(this.res.insertPolicy(path, policy))
    if (refused === undefined) this.observer?.policyChanged(path, policy)
    return refused
  }

  removePolicy(path: ReadonlyArray<string>): string | undefined {
    const refused = this.commit(this.res.removePolicy(path))
    if (refused === undefined) this.observer?.policyChanged(path, undefined)
    return refused
  }

  /**
   * Spec §3.4 (with every ancestor policy). `without` computes as if that running unikernel were
   * gone (force-create and restart check the new configuration against the others).
   */
  checkUnikernel(name: Name, config: UnikernelConfig, without?: Name): string | undefined {
    let res = this.res
    if (without !== undefined && res.findUnikernel(without) !== undefined) {
      const r = res.removeUnikernel(without)
      if (Either.isLeft(r)) return r.left
      res = r.right
    }
    return errorOf(res.checkUnikernel(name, config))
  }

  addUnikernel(name: Name, config: UnikernelConfig): string | undefined {
    return this.commitUsage(this.res.insertUnikernel(name, { name, config }), name.path)
  }

  removeUnikernel(name: Name): string | undefined {
    return this.commitUsage(this.res.removeUnikernel(name), name.path)
  }

  checkBlock(name: Name, size: number): string | undefined {
    return errorOf(this.res.checkBlock(name, size))
  }

  addBlock(name: Name, size: number): string | undefined {
    return this.commitUsage(this.res.addBlock(name, size), name.path)
  }

  removeBlock(name: Name): string | undefined {
    return this.commitUsage(this.res.removeBlock(name), name.path)
  }

  /** Entries under `path` (or exactly `name` if it has a label), with their relative names, in listing order. */
  list<V extends { readonly name: Name }>(entries: Iterable<V>, query: Name): ReadonlyArray<{ readonly rel: Name; readonly value: V }> {
    if (query.label !== null) {
      const key = keyOf(query.key())
      for (const v of entries) if (keyOf(v.name.key()) === key) return [{ rel: v.name, value: v }]
      return []
    }
    const path = query.path
    // each trie key computed once, not once per comparison of the sort
    const found: Array<{ rel: Name; value: V; key: ReadonlyArray<string> }> = []
    for (const v of entries) {
      const key = v.name.key()
      if (isUnder(key, path)) found.push({ rel: relativeName(v.name, path), value: v, key })
    }
    return found.sort((a, b) => listingOrder(a.key, b.key))
  }
}
