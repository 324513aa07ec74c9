/** Policy checks of the client and the CA tooling, and the policy display text (spec §2.1). */
import { Either } from "effect"
import type { Policy } from "./policy.js"
import { difference, isSubset, sortedStrings } from "./sets.js"

/** Whether a policy can run anything at all. The daemon does not call this (spec §2.1). */
export const usable = (p: Policy): Either.Either<void, string> => {
  if (p.unikernels <= 0n) return Either.left("Unusable policy with no unikernels")
  if (p.cpuids.length === 0) return Either.left("Unusable policy with no CPUids")
  if (p.memory <= 16) return Either.left(`Unusable policy with memory ${p.memory} MB <= 16 MB`)
  if (p.block !== null && p.block < 0) return Either.left(`Unusable policy with block ${p.block} MB < 0 MB`)
  return Either.void
}

/** Static delegation check: `sub` must fit inside `sup`, first failure wins. */
export const isSmaller = (sup: Policy, sub: Policy): Either.Either<void, string> => {
  if (sup.unikernels < sub.unikernels)
    return Either.left(`policy above allows ${sup.unikernels} unikernels, which is fewer than ${sub.unikernels}`)
  if (sup.memory < sub.memory)
    return Either.left(`policy above allows ${sup.memory} MB memory, which is fewer than ${sub.memory} MB`)
  const cpus = difference(sub.cpuids, sup.cpuids)
  if (cpus.length > 0) return Either.left(`policy above does not allow CPUids ${cpus.join(", ")}`)
  if (!isSubset(sub.bridges, sup.bridges))
    return Either.left(
      `policy above allows bridge(s) ${sortedStrings(sup.bridges).join(", ")}, which is not a superset of ${sortedStrings(sub.bridges).join(", ")}`
    )
  if (sub.block !== null && (sup.block === null || sup.block < sub.block))
    return Either.left(
      `policy above allows ${sup.block ?? 0} MB block storage, which is fewer than ${sub.block} MB`
    )
  return Either.void
}

/** `policy: 2 unikernels 0,1 CPUids 512 MB memory no block, bridges: a, b` (logs and client output). */
export const policyDisplay = (p: Policy): string =>
  `policy: ${p.unikernels} unikernels ${p.cpuids.join(",")} CPUids ${p.memory} MB memory ` +
  `${p.block === null ? "no" : `${p.block} MB`} block` +
  (p.bridges.length > 0 ? `, bridges: ${p.bridges.join(", ")}` : "")

export const policyEquals = (a: Policy, b: Policy): boolean =>
  a.unikernels === b.unikernels &&
  a.memory === b.memory &&
  a.block === b.block &&
  a.cpuids.length === b.cpuids.length &&
  a.cpuids.every((c, i) => b.cpuids[i] === c) &&
  a.bridges.length === b.bridges.length &&
  a.bridges.every((x, i) => b.bridges[i] === x)
