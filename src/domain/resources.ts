/**
 * Resource accounting of albatrossd (spec §3.2-3.6): the policies, block devices and running
 * unikernels, each in a label trie, and the checks that keep them within the policies.
 *
 * Values are immutable: every change returns a new `Resources`, sharing what did not change,
 * so the daemon can evaluate "the resources without this unikernel" (force-create, restart)
 * and simply drop the result if a later step fails.
 *
 * Deliberate difference (issue 3, spec §13.3 item 1): the dynamic limits of a create and of a
 * block add are enforced by the policy at every ancestor path that has one, the root (host)
 * policy included, each against the usage of its whole subtree. The reference only consulted
 * the policy at the unikernel's own path, so sibling delegations together could exceed their
 * parent. The error texts are the reference's.
 */
import { Either } from "effect"
import { Name } from "./name.js"
import { isSmaller } from "./policy-rules.js"
import type { Policy } from "./policy.js"
import { difference, sortedNumbers, sortedStrings } from "./sets.js"
import { Trie } from "./trie.js"
import type { UnikernelConfig } from "./unikernel.js"
import { blockDevicesOf, bridgesOf } from "./unikernel-rules.js"

/** A path: a list of labels, `[]` is the root. */
export type Path = ReadonlyArray<string>

/** A block device: its size in MB and whether a running unikernel uses it. */
export interface BlockDevice {
  readonly size: number
  readonly active: boolean
}

/** The part of a configuration that accounting reads. */
export type AccountedConfig = Pick<UnikernelConfig, "memory" | "cpuids" | "bridges" | "blockDevices">

/** What the running-unikernels trie holds; the daemon's record may carry anything else besides. */
export interface Accounted {
  readonly config: AccountedConfig
}

export interface UnikernelUsage {
  /** Number of running unikernels. */
  readonly unikernels: number
  /** Memory of the running unikernels, MB. */
  readonly memory: number
}

export interface BlockUsage {
  /** MB in block devices attached to a running unikernel. */
  readonly active: number
  /** MB in block devices not attached. */
  readonly inactive: number
}

/** OCaml's `max_int`: the console ring-buffer quota of the root path (spec §3.6). */
export const OCAML_MAX_INT = 4611686018427387903n

const pathName = (path: Path): Name => Name.of(path, null)

/** `path`, its parent, ... up to the root (the root last). */
export const pathsToRoot = (path: Path): Array<Path> => {
  const out: Array<Path> = []
  for (let i = path.length; i >= 0; i--) out.push(path.slice(0, i))
  return out
}

/**
 * Block devices on `/dev/zvol…` of a unikernel sitting exactly at the `--allow-zvol-for` path
 * are neither checked nor tracked (spec §3.4).
 */
export const isZvolExempt = (zvolPath: Path | null, blockName: Name): boolean =>
  zvolPath !== null &&
  (blockName.label ?? "").startsWith("/dev/zvol") &&
  blockName.path.length === zvolPath.length &&
  blockName.path.every((l, i) => l === zvolPath[i])

/** The reference's dynamic check of one policy against the usage under its path. */
const checkAgainstPolicy = (p: Policy, used: UnikernelUsage, config: AccountedConfig): Either.Either<void, string> => {
  if (BigInt(used.unikernels + 1) > p.unikernels)
    return Either.left(`maximum amount of unikernels (${p.unikernels}) reached`)
  if (config.memory > p.memory - used.memory)
    return Either.left(
      `maximum allowed memory (${p.memory}, used ${used.memory}) would be exceeded (requesting ${config.memory})`
    )
  const cpus = sortedNumbers(difference(config.cpuids, p.cpuids))
  if (cpus.length > 0) return Either.left(`CPUids ${cpus.join(", ")} are not allowed by policy`)
  const disallowed = difference(bridgesOf(config), p.bridges)
  if (disallowed.length > 0) return Either.left(`bridges ${disallowed.join(", ")} not allowed by policy`)
  return Either.void
}

export class Resources<U extends Accounted = Accounted> {
  private constructor(
    /** Path-names to policies. */
    readonly policies: Trie<Policy>,
    /** Block device names (`path:device`) to size and state. */
    readonly blockDevices: Trie<BlockDevice>,
    /** Unikernel names to the daemon's record of the running unikernel. */
    readonly unikernels: Trie<U>,
    /** `--allow-zvol-for`. */
    readonly zvolPath: Path | null
  ) {}

  static empty<U extends Accounted = Accounted>(zvolPath: Path | null = null): Resources<U> {
    return new Resources<U>(Trie.empty(), Trie.empty(), Trie.empty(), zvolPath)
  }

  private with(changes: {
    readonly policies?: Trie<Policy>
    readonly blockDevices?: Trie<BlockDevice>
    readonly unikernels?: Trie<U>
  }): Resources<U> {
    return new Resources(
      changes.policies ?? this.policies,
      changes.blockDevices ?? this.blockDevices,
      changes.unikernels ?? this.unikernels,
      this.zvolPath
    )
  }

  // ---- lookups and usage -------------------------------------------------------------------

  findPolicy(path: Path): Policy | undefined {
    return this.policies.find(pathName(path))
  }

  findBlock(name: Name): BlockDevice | undefined {
    return this.blockDevices.find(name)
  }

  findUnikernel(name: Name): U | undefined {
    return this.unikernels.find(name)
  }

  /** Running unikernels and their memory in the subtree at `path`. */
  unikernelUsage(path: Path): UnikernelUsage {
    let unikernels = 0
    let memory = 0
    this.unikernels.forEachValue(path, (u) => {
      unikernels++
      memory += u.config.memory
    })
    return { unikernels, memory }
  }

  /** Block storage in the subtree at `path`, attached and not. */
  blockUsage(path: Path): BlockUsage {
    let active = 0
    let inactive = 0
    this.blockDevices.forEachValue(path, (b) => {
      if (b.active) active += b.size
      else inactive += b.size
    })
    return { active, inactive }
  }

  totalBlockUsage(path: Path): number {
    const { active, inactive } = this.blockUsage(path)
    return active + inactive
  }

  /** The policies that govern `path`: its own and its ancestors', deepest first, with their paths. */
  policiesAbove(path: Path): Array<readonly [Path, Policy]> {
    return this.policies.collect(pathName(path)).map(([name, p]) => [name.key(), p] as const)
  }

  /** The `Console_add` ring-buffer quota for a unikernel (spec §3.6). */
  consoleQuota(name: Name): bigint {
    if (name.path.length === 0) return OCAML_MAX_INT
    return this.findPolicy(name.path)?.unikernels ?? 0n
  }

  // ---- policies (spec §3.3) ----------------------------------------------------------------

  /** Inserts or replaces the policy at `path` after the static and usage checks, in the reference's order. */
  insertPolicy(path: Path, p: Policy): Either.Either<Resources<U>, string> {
    // 1. every policy strictly above, excluding the root (the root policy never constrains delegations)
    for (const above of pathsToRoot(path).slice(1, -1)) {
      const sup = this.findPolicy(above)
      if (sup !== undefined) {
        const r = isSmaller(sup, p)
        if (Either.isLeft(r)) return Either.left(r.left)
      }
    }
    // 2. every policy strictly below, in fold order; the one being replaced is skipped
    const below = this.policies.fold<string | undefined>(
      path,
      (err, name, sub) => {
        if (err !== undefined || name.isRoot) return err
        const r = isSmaller(p, sub)
        return Either.isLeft(r) ? r.left : undefined
      },
      undefined
    )
    if (below !== undefined) return Either.left(below)
    // 3. what already runs under the path
    const usage = this.checkCurrentUsage(path, p)
    if (Either.isLeft(usage)) return Either.left(usage.left)
    return Either.right(this.with({ policies: this.policies.insert(pathName(path), p)[0] }))
  }

  private checkCurrentUsage(path: Path, p: Policy): Either.Either<void, string> {
    const { unikernels, memory } = this.unikernelUsage(path)
    const block = this.totalBlockUsage(path)
    const cpuids = new Set<number>()
    const bridges = new Set<string>()
    this.unikernels.forEachValue(path, (u) => {
      for (const c of u.config.cpuids) cpuids.add(c)
      for (const b of bridgesOf(u.config)) bridges.add(b)
    })
    const cpus = sortedNumbers(difference([...cpuids], p.cpuids))
    if (cpus.length > 0) return Either.left(`policy does not allow CPUids ${cpus.join(", ")}`)
    if (difference([...bridges], p.bridges).length > 0)
      return Either.left(
        `policy allows bridges ${sortedStrings(p.bridges).join(", ")}, which is not a superset of ${sortedStrings(bridges).join(", ")}`
      )
    if (BigInt(unikernels) > p.unikernels)
      return Either.left(
        `unikernel would exceed running unikernel limit set by policy to ${p.unikernels}, running ${unikernels}`
      )
    if (memory > p.memory)
      return Either.left(`unikernel would exceed running memory limit set by policy to ${p.memory} MB, used ${memory} MB`)
    const quota = p.block ?? 0
    if (block > quota)
      return Either.left(`unikernel would exceed running block storage limit set by policy to ${quota} MB, used ${block} MB`)
    return Either.void
  }

  /** Removes the policy at `path`; unikernels still running below are not looked at (as the reference). */
  removePolicy(path: Path): Either.Either<Resources<U>, string> {
    if (this.findPolicy(path) === undefined) return Either.left("unknown policy")
    return Either.right(this.with({ policies: this.policies.remove(pathName(path)) }))
  }

  // ---- unikernels (spec §3.4) --------------------------------------------------------------

  /**
   * Whether `config` may start as `name`: the policy limits at the unikernel's path and every
   * ancestor path with a policy (deepest first), then its block devices, then the name.
   */
  checkUnikernel(name: Name, config: AccountedConfig): Either.Either<void, string> {
    for (const [path, p] of this.policiesAbove(name.path)) {
      const r = checkAgainstPolicy(p, this.unikernelUsage(path), config)
      if (Either.isLeft(r)) return r
    }
    for (const device of blockDevicesOf(config)) {
      const blockName = name.blockName(device)
      if (isZvolExempt(this.zvolPath, blockName)) continue
      const block = this.findBlock(blockName)
      if (block === undefined) return Either.left(`block device ${blockName.toString()} not found`)
      if (block.active) return Either.left(`block device ${blockName.toString()} already in use`)
    }
    if (this.findUnikernel(name) !== undefined) return Either.left("unikernel with same name already exists")
    return Either.void
  }

  /** Records a started unikernel and marks its block devices active. Does not run the checks. */
  insertUnikernel(name: Name, unikernel: U): Either.Either<Resources<U>, string> {
    if (this.findUnikernel(name) !== undefined)
      return Either.left(`unikernel ${name.toString()} already exists in trie`)
    const blockDevices = this.useBlocks(name, unikernel.config, true)
    if (Either.isLeft(blockDevices)) return Either.left(blockDevices.left)
    return Either.right(this.with({ unikernels: this.unikernels.insert(name, unikernel)[0], blockDevices: blockDevices.right }))
  }

  /** Forgets a unikernel that ended and marks its block devices inactive. */
  removeUnikernel(name: Name): Either.Either<Resources<U>, string> {
    const unikernel = this.findUnikernel(name)
    if (unikernel === undefined) return Either.left("unknown unikernel")
    const blockDevices = this.useBlocks(name, unikernel.config, false)
    if (Either.isLeft(blockDevices)) return Either.left(blockDevices.left)
    return Either.right(this.with({ unikernels: this.unikernels.remove(name), blockDevices: blockDevices.right }))
  }

  private useBlocks(name: Name, config: AccountedConfig, active: boolean): Either.Either<Trie<BlockDevice>, string> {
    let blocks = this.blockDevices
    for (const device of blockDevicesOf(config)) {
      const r = this.setBlockUsage(blocks, name.blockName(device), active)
      if (Either.isLeft(r)) return r
      blocks = r.right
    }
    return Either.right(blocks)
  }

  private setBlockUsage(blocks: Trie<BlockDevice>, name: Name, active: boolean): Either.Either<Trie<BlockDevice>, string> {
    if (isZvolExempt(this.zvolPath, name)) return Either.right(blocks)
    const block = blocks.find(name)
    if (block === undefined) return Either.left(`block device ${name.toString()} not in trie`)
    if (block.active === active)
      return Either.left(`block device ${name.toString()} already in state ${active ? "active" : "inactive"}`)
    return Either.right(blocks.insert(name, { size: block.size, active })[0])
  }

  // ---- block devices (spec §3.5) -----------------------------------------------------------

  /**
   * Whether a block device of `size` MB may be added as `name`: the name is free, and the
   * block quota of the policy at its path and at every ancestor path with a policy allows it.
   */
  checkBlock(name: Name, size: number): Either.Either<void, string> {
    if (this.findBlock(name) !== undefined) return Either.left(`block device with name ${name.display()} already exists`)
    for (const [path, p] of this.policiesAbove(name.path)) {
      if (p.block === null) return Either.left("no block devices are allowed by policy")
      const used = this.totalBlockUsage(path)
      if (size > p.block - used)
        return Either.left(
          `block device policy limit of ${p.block} MB (used ${used} MB) would be exceeded by the request (${size} MB)`
        )
    }
    return Either.void
  }

  /** Adds an inactive block device after `checkBlock`. */
  addBlock(name: Name, size: number): Either.Either<Resources<U>, string> {
    const ok = this.checkBlock(name, size)
    if (Either.isLeft(ok)) return Either.left(ok.left)
    return Either.right(this.with({ blockDevices: this.blockDevices.insert(name, { size, active: false })[0] }))
  }

  removeBlock(name: Name): Either.Either<Resources<U>, string> {
    const block = this.findBlock(name)
    if (block === undefined) return Either.left(`unknown block device ${name.toString()}`)
    if (block.active) return Either.left(`block device ${name.toString()} in use`)
    return Either.right(this.with({ blockDevices: this.blockDevices.remove(name) }))
  }

  setBlockActive(name: Name): Either.Either<Resources<U>, string> {
    return Either.map(this.setBlockUsage(this.blockDevices, name, true), (blockDevices) => this.with({ blockDevices }))
  }

  setBlockInactive(name: Name): Either.Either<Resources<U>, string> {
    return Either.map(this.setBlockUsage(this.blockDevices, name, false), (blockDevices) => this.with({ blockDevices }))
  }
}
