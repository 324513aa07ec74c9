/** Rules about one unikernel configuration (spec §2.2). */
import { Either } from "effect"
import type { Policy } from "./policy.js"
import { difference } from "./sets.js"
import type { UnikernelArguments, UnikernelConfig } from "./unikernel.js"

/** Host bridge names a configuration uses (the bridge, defaulting to the interface name). */
export const bridgesOf = (c: Pick<UnikernelArguments, "bridges">): Array<string> =>
  c.bridges.map((b) => b.bridge ?? b.netif)

/** Host block device names (the device, defaulting to the unikernel-side name). */
export const blockDevicesOf = (c: Pick<UnikernelArguments, "blockDevices">): Array<string> =>
  c.blockDevices.map((b) => b.device ?? b.name)

/** Client- and CA-side check of a configuration against a policy, first failure wins. */
export const fineWithPolicy = (p: Policy, c: UnikernelConfig | UnikernelArguments): Either.Either<void, string> => {
  const cpus = difference(c.cpuids, p.cpuids)
  if (cpus.length > 0)
    return Either.left(`the CPUids ${cpus.join(", ")} requested by the unikernel are not allowed by policy`)
  if (c.memory > p.memory) return Either.left(`${c.memory} MB memory assigned to unikernel exceeds policy (${p.memory}MB)`)
  const bridges = difference(bridgesOf(c), p.bridges)
  if (bridges.length > 0)
    return Either.left(
      `Bridge(s) ${bridges.join(", ")} not allowed by policy (available: ${p.bridges.join(", ")})`
    )
  return Either.void
}

/** The restart arguments of a configuration: everything but typ, compressed and image. */
export const argumentsOf = (c: UnikernelConfig): UnikernelArguments => ({
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

/** A restart with arguments replaces all of them and keeps typ, compressed and image. */
export const applyArguments = (c: UnikernelConfig, args: UnikernelArguments): UnikernelConfig => ({
  typ: c.typ,
  compressed: c.compressed,
  image: c.image,
  ...argumentsOf({ ...c, ...args })
})
