/** Pure parser of `bhyvectl --vm=<name> --get-stats` (vCPU 0): `vcpu0 stats:` then `%-40s\t%ld` lines. */
import { Either } from "effect"
import type { VmmStat } from "../../domain/stats.js"

export const parseBhyvectlStats = (output: string): Either.Either<ReadonlyArray<VmmStat>, string> => {
  const stats: Array<VmmStat> = []
  let seenHeader = false
  for (const line of output.split("\n")) {
    if (/^vcpu\d+ stats:\s*$/.test(line)) {
      seenHeader = true
      continue
    }
    if (!seenHeader || line.trim() === "") continue
    const tab = line.lastIndexOf("\t")
    const value = line.slice(tab + 1).trim()
    if (tab === -1 || !/^-?\d+$/.test(value)) return Either.left(`bhyvectl: unexpected line ${JSON.stringify(line)}`)
    stats.push({ key: line.slice(0, tab).trimEnd(), value: BigInt.asIntN(64, BigInt(value)) })
  }
  if (!seenHeader) return Either.left("bhyvectl: no statistics in the output")
  // the reference builds its list by prepending, so it reports the counters last to first
  return Either.right(stats.reverse())
}
