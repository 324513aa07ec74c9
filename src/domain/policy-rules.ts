/** Policy checks of the client and the CA tooling, and the policy display text (spec §2.1). */
import { Either } from "effect"
import { unsignedText } from "./ocaml-text.js"
import type { Policy } from "./policy.js"
import { difference, isSubset, sortedNumbers, sortedStrings } from "./sets.js"

/** Whether a policy can run anything at all. The daemon does not call this (spec §2.1). */
export const usable = (p: Policy): Either.Either<void, string> => {
  if (p.unikernels <= 0n) return Either.left("Unusable policy with no unikernels")
  if (p.cpuids.length === 0) return Either.left("Unusable policy with no CPUids")
  if (p.memory <= 16) return Either.left(`Unusable policy with memory ${p.memory} MB <= 16 MB`)
  if (p.block !== null && p.block < 0) return Either.left(`Unusable policy with block ${p.block} MB < 0 MB`)
  return Either.void
}

/** Static delegation check (spec §2.1): `sub` must fit inside `sup`, first failure wins. */
export const isSmaller = (sup: Policy, sub: Policy): Either.Either<void, string> => {
  if (sup.unikernels < sub.unikernels)
    return Either.left(`policy above allows ${sup.unikernels} unikernels, which is fewer than ${sub.unikernels}`)
  if (sup.memory < sub.memory)
    return Either.left(`policy above allows ${sup.memory} MB memory, which is fewer than ${sub.memory} MB`)
  const cpus = sortedNumbers(difference(sub.cpuids, sup.cpuids))
  if (cpus.length > 0) return Either.left(`policy above does not allow CPUids ${cpus.join(", ")}`)
  if (!isSubset(sub.bridges, sup.bridges))
    return Either.left(
      `policy above allows bridge(s) ${sortedStrings(sup.bridges).join(", ")}, ` +
        `which is not a superset of ${sortedStrings(sub.bridges).join(", ")}`
    )
  // no block storage above admits none below; a quota above admits any smaller one or none
  if (sub.block !== null && (sup.block === null || sup.block < sub.block))
    return Either.left(`policy above allows ${sup.block ?? 0} MB block storage, which is fewer than ${sub.block} MB`)
  return Either.void
}

/**
 * `policy: 2 unikernels 0,1 CPUids 512 MB memory no block, bridges: a, b`: the reference's
 * `Policy.pp`, used in logs and in the text of a Policy_add command.
 */
export const policyDisplay = (p: Policy): string => {
  const bridges = sortedStrings(p.bridges)
  return (
    `policy: ${p.unikernels} unikernels ${sortedNumbers(p.cpuids).join(",")} CPUids ` +
    `${unsignedText(p.memory)} MB memory ${p.block === null ? "no" : `${p.block} MB`} block` +
    (bridges.length > 0 ? `, bridges: ${bridges.join(", ")}` : "")
  )
}

const sameElements = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): boolean => isSubset(a, b) && isSubset(b, a)

/** Equality as the reference defines it: the cpuid and bridge sets compare as sets. */
export const policyEquals = (a: Policy, b: Policy): boolean =>
  a.unikernels === b.unikernels &&
  a.memory === b.memory &&
  a.block === b.block &&
  sameElements(a.cpuids, b.cpuids) &&
  sameElements(a.bridges, b.bridges)
