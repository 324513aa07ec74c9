/**
 * Resource accounting of albatrossd (spec §3): policies per path, running unikernels and block
 * devices, with the static checks on policy insertion and the dynamic checks on create.
 *
 * Deliberate fix (spec §13.3 item 1): the dynamic limits are enforced at the unikernel's own
 * path AND at every ancestor path that has a policy (including the root policy discovered from
 * the host), so the delegations below a path can never exceed that path's totals together.
 *
 * Mutable maps, touched only under the daemon's global lock. Keys are the trie keys of spec §3.1
 * joined by ":" (so `alice:` and `:alice` share a key, as in the reference).
 */
import { Either } from "effect"
import { Name } from "../../domain/name.js"
import { isSmaller, policyEquals } from "../../domain/policy-rules.js"
import type { Policy } from "../../domain/policy.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"

export const keyOf = (labels: ReadonlyArray<string>): string => labels.join(":")

const isUnder = (key: ReadonlyArray<string>, path: ReadonlyArray<string>): boolean => {
  if (path.length > key.length) return false
  for (let i = 0; i < path.length; i++) if (key[i] !== path[i]) return false
  return true
}

/** Host bridge names of a configuration (the second element, defaulting to the first). */
export const configBridges = (config: Pick<UnikernelConfig, "bridges">): ReadonlyArray<string> =>
  config.bridges.map((b) => b.bridge ?? b.netif)

export interface Usage {
  readonly running: number
  readonly memory: number
  readonly cpuids: ReadonlySet<number>
  readonly bridges: ReadonlySet<string>
}

export interface BlockEntry {
  readonly name: Name
  readonly size: number
  active: boolean
}

export interface AccountedUnikernel {
  readonly name: Name
  readonly config: UnikernelConfig
}

const sortedNumbers = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b)
const sortedStrings = (xs: Iterable<string>) => [...xs].sort()

/** Static delegation check of spec §2.1 (domain rules); `undefined` when `sub` fits in `sup`. */
const smallerError = (sup: Policy, sub: Policy): string | undefined => {
  const r = isSmaller(sup, sub)
  return Either.isLeft(r) ? r.left : undefined
}

export { policyEquals }

/** Relative name of an entry found by folding at `path` (spec §3.1). */
export const relativeName = (name: Name, path: ReadonlyArray<string>): Name => {
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

export class Accounting {
  readonly policies = new Map<string, { readonly path: ReadonlyArray<string>; readonly policy: Policy }>()
  readonly unikernels = new Map<string, AccountedUnikernel>()
  readonly blocks = new Map<string, BlockEntry>()

  constructor(readonly zvolPath: ReadonlyArray<string> | undefined) {}

  policyAt(path: ReadonlyArray<string>): Policy | undefined {
    return this.policies.get(keyOf(path))?.policy
  }

  usage(path: ReadonlyArray<string>, without?: Name): Usage {
    let running = 0
    let memory = 0
    const cpuids = new Set<number>()
    const bridges = new Set<string>()
    const skip = without === undefined ? undefined : keyOf(without.key())
    for (const [k, u] of this.unikernels) {
      if (k === skip || !isUnder(u.name.key(), path)) continue
      running++
      memory += u.config.memory
      for (const c of u.config.cpuids) cpuids.add(c)
      for (const b of configBridges(u.config)) bridges.add(b)
    }
    return { running, memory, cpuids, bridges }
  }

  blockUsage(path: ReadonlyArray<string>): number {
    let used = 0
    for (const b of this.blocks.values()) if (isUnder(b.name.key(), path)) used += b.size
    return used
  }

  /** Spec §3.3; `undefined` on success (the policy is then stored). */
  insertPolicy(path: ReadonlyArray<string>, policy: Policy): string | undefined {
    // above: strict ancestors except root (the root policy is the host's, never consulted here)
    for (let i = 1; i < path.length; i++) {
      const above = this.policyAt(path.slice(0, i))
      if (above !== undefined) {
        const err = smallerError(above, policy)
        if (err !== undefined) return err
      }
    }
    const own = keyOf(path)
    for (const [k, below] of this.policies) {
      if (k === own || !isUnder(below.path, path) || below.path.length === path.length) continue
      const err = smallerError(policy, below.policy)
      if (err !== undefined) return err
    }
    const used = this.usage(path)
    const cpuDiff = [...used.cpuids].filter((c) => !policy.cpuids.includes(c))
    if (cpuDiff.length > 0) return `policy does not allow CPUids ${sortedNumbers(cpuDiff).join(", ")}`
    if (![...used.bridges].every((b) => policy.bridges.includes(b)))
      return `policy allows bridges ${sortedStrings(policy.bridges).join(", ")}, which is not a superset of ${sortedStrings(used.bridges).join(", ")}`
    if (BigInt(used.running) > policy.unikernels)
      return `unikernel would exceed running unikernel limit set by policy to ${policy.unikernels}, running ${used.running}`
    if (used.memory > policy.memory)
      return `unikernel would exceed running memory limit set by policy to ${policy.memory} MB, used ${used.memory} MB`
    const blockUsed = this.blockUsage(path)
    if (blockUsed > (policy.block ?? 0))
      return `unikernel would exceed running block storage limit set by policy to ${policy.block ?? 0} MB, used ${blockUsed} MB`
    this.policies.set(own, { path, policy })
    return undefined
  }

  removePolicy(path: ReadonlyArray<string>): string | undefined {
    return this.policies.delete(keyOf(path)) ? undefined : "unknown policy"
  }

  private zvolExempt(name: Name, device: string): boolean {
    return (
      this.zvolPath !== undefined &&
      device.startsWith("/dev/zvol") &&
      keyOf(name.path) === keyOf(this.zvolPath) &&
      name.path.length === this.zvolPath.length
    )
  }

  /** The host block devices of a configuration that are accounted (zvol-exempt ones are not). */
  accountedBlocks(name: Name, config: UnikernelConfig): ReadonlyArray<Name> {
    const out: Array<Name> = []
    for (const b of config.blockDevices) {
      const device = b.device ?? b.name
      if (!this.zvolExempt(name, device)) out.push(name.blockName(device))
    }
    return out
  }

  /**
   * Spec §3.4 with the ancestor fix: the limits of every policy on the way from the unikernel's
   * path up to the root. `without` computes as if that running unikernel were gone (force-create, restart).
   */
  checkUnikernel(name: Name, config: UnikernelConfig, without?: Name): string | undefined {
    for (let depth = name.path.length; depth >= 0; depth--) {
      const path = name.path.slice(0, depth)
      const p = this.policyAt(path)
      if (p === undefined) continue
      const used = this.usage(path, without)
      if (BigInt(used.running + 1) > p.unikernels) return `maximum amount of unikernels (${p.unikernels}) reached`
      if (config.memory > p.memory - used.memory)
        return `maximum allowed memory (${p.memory}, used ${used.memory}) would be exceeded (requesting ${config.memory})`
      const cpuDiff = config.cpuids.filter((c) => !p.cpuids.includes(c))
      if (cpuDiff.length > 0) return `CPUids ${sortedNumbers(cpuDiff).join(", ")} are not allowed by policy`
      const badBridges = configBridges(config).filter((b) => !p.bridges.includes(b))
      if (badBridges.length > 0) return `bridges ${badBridges.join(", ")} not allowed by policy`
    }
    for (const block of this.accountedBlocks(name, config)) {
      const entry = this.blocks.get(keyOf(block.key()))
      if (entry === undefined) return `block device ${block.toString()} not found`
      const selfHolds = without !== undefined && keyOf(without.key()) === keyOf(name.key())
      if (entry.active && !selfHolds) return `block device ${block.toString()} already in use`
    }
    if (without === undefined && this.unikernels.has(keyOf(name.key()))) return "unikernel with same name already exists"
    return undefined
  }

  addUnikernel(name: Name, config: UnikernelConfig): void {
    this.unikernels.set(keyOf(name.key()), { name, config })
    for (const b of this.accountedBlocks(name, config)) {
      const entry = this.blocks.get(keyOf(b.key()))
      if (entry !== undefined) entry.active = true
    }
  }

  removeUnikernel(name: Name): void {
    const entry = this.unikernels.get(keyOf(name.key()))
    if (entry === undefined) return
    this.unikernels.delete(keyOf(name.key()))
    for (const b of this.accountedBlocks(name, entry.config)) {
      const block = this.blocks.get(keyOf(b.key()))
      if (block !== undefined) block.active = false
    }
  }

  /** Spec §3.5 `check_block`. */
  checkBlock(name: Name, size: number): string | undefined {
    if (this.blocks.has(keyOf(name.key()))) return `block device with name ${name.display()} already exists`
    const p = this.policyAt(name.path)
    if (p === undefined) return undefined
    if (p.block === null) return "no block devices are allowed by policy"
    const used = this.blockUsage(name.path)
    if (size > p.block - used)
      return `block device policy limit of ${p.block} MB (used ${used} MB) would be exceeded by the request (${size} MB)`
    return undefined
  }

  addBlock(name: Name, size: number): void {
    this.blocks.set(keyOf(name.key()), { name, size, active: false })
  }

  /** Entries under `path` (or exactly `name` if it has a label), with their relative names, in listing order. */
  list<V extends { readonly name: Name }>(
    entries: Iterable<V>,
    query: Name
  ): ReadonlyArray<{ readonly rel: Name; readonly value: V }> {
    if (query.label !== null) {
      const key = keyOf(query.key())
      for (const v of entries) if (keyOf(v.name.key()) === key) return [{ rel: v.name, value: v }]
      return []
    }
    const path = query.path
    const found: Array<{ rel: Name; value: V }> = []
    for (const v of entries) if (isUnder(v.name.key(), path)) found.push({ rel: relativeName(v.name, path), value: v })
    return found.sort((a, b) => listingOrder(a.value.name.key(), b.value.name.key()))
  }
}
