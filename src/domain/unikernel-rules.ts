/** Rules about one unikernel configuration (spec §2.2). */
import { Either } from "effect"
import { unsignedText } from "./ocaml-text.js"
import type { Policy } from "./policy.js"
import { difference, sortedNumbers, sortedStrings } from "./sets.js"
import type { UnikernelArguments, UnikernelConfig } from "./unikernel.js"

/** Host bridge names a configuration uses (the bridge, defaulting to the interface name), in config order. */
export const bridgesOf = (c: Pick<UnikernelArguments, "bridges">): Array<string> =>
  c.bridges.map((b) => b.bridge ?? b.netif)

/** Host block device names (the device, defaulting to the unikernel-side name), in config order. */
export const blockDevicesOf = (c: Pick<UnikernelArguments, "blockDevices">): Array<string> =>
  c.blockDevices.map((b) => b.device ?? b.name)

/**
 * Client- and CA-side check of a configuration against a policy (the daemon does not call it),
 * first failure wins. The unikernel count and block storage are not part of it.
 */
export const fineWithPolicy = (
  p: Policy,
  c: Pick<UnikernelArguments, "cpuids" | "memory" | "bridges">
): Either.Either<void, string> => {
  const cpus = sortedNumbers(difference(c.cpuids, p.cpuids))
  if (cpus.length > 0)
    return Either.left(`the CPUids ${cpus.join(", ")} requested by the unikernel are not allowed by policy`)
  if (c.memory > p.memory)
    return Either.left(
      `${unsignedText(c.memory)} MB memory assigned to unikernel exceeds policy (${unsignedText(p.memory)}MB)`
    )
  // in config order, duplicates kept, as the reference partitions the list
  const disallowed = difference(bridgesOf(c), p.bridges)
  if (disallowed.length > 0)
    return Either.left(
      `Bridge(s) ${disallowed.join(", ")} not allowed by policy (available: ${sortedStrings(p.bridges).join(", ")})`
    )
  return Either.void
}

/** The restart arguments of a configuration: everything but typ, compressed and image. */
export const argumentsOf = (c: UnikernelArguments): UnikernelArguments => ({
  failBehaviour: c.failBehaviour,
  startup: c.startup,
  addName: c.addName,
  cpuids: c.cpuids,
  memory: c.memory,
  blockDevices: c.blockDevices,
  bridges: c.bridges,
  argv: c.argv,
  numcpus: c.numcpus,
  linuxBootPartition: c.linuxBootPartition
})

/** A restart with arguments replaces all of them and keeps typ, compressed and image (spec §2.2). */
export const applyArguments = (c: UnikernelConfig, args: UnikernelArguments): UnikernelConfig => ({
  typ: c.typ,
  compressed: c.compressed,
  image: c.image,
  ...argumentsOf(args)
})
