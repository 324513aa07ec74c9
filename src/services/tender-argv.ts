/**
 * The command lines albatrossd runs for a unikernel (spec §5.3, §5.6), as pure functions so
 * they are checked word for word against the reference.
 */
import { Either } from "effect"
import { deriveMac } from "../domain/mac.js"
import type { Name } from "../domain/name.js"
import type { UnikernelConfig } from "../domain/unikernel.js"
import { blockPath, type HostPathsConfig, imagePath } from "./host-paths.js"

export type TenderOs = "Linux" | "FreeBSD"

/** `taskset -c 0,2` (Linux) / `cpuset -l 0,2` (FreeBSD); ids ascending, comma-separated. */
export const cpuPinning = (os: TenderOs, cpuids: ReadonlyArray<number>): ReadonlyArray<string> => {
  const ids = [...new Set(cpuids)].sort((a, b) => a - b).join(",")
  return os === "Linux" ? ["taskset", "-c", ids] : ["cpuset", "-l", ids]
}

/** The value of the injected `--name=` (spec §2.5): the label when the path is dropped, else the full name. */
export const nameArgument = (name: Name, dropPath: boolean): string =>
  dropPath && name.label !== null ? name.label : name.toString()

export interface Solo5Command {
  readonly os: TenderOs
  /** Path of the tender in dbdir, or its name (looked up on PATH at spawn). */
  readonly tender: string
  readonly name: Name
  readonly config: Pick<UnikernelConfig, "cpuids" | "memory" | "bridges" | "blockDevices" | "addName" | "argv">
  /** One tap per entry of `config.bridges`, same order. */
  readonly taps: ReadonlyArray<string>
  readonly paths: HostPathsConfig
  /** albatrossd `--no-drop-path` unset: `--name=<label>`. */
  readonly dropPath: boolean
}

/** Spec §5.6 Solo5 argv, pinning prefix included. */
export const solo5Argv = (c: Solo5Command): ReadonlyArray<string> => {
  const { config, name } = c
  const nets = config.bridges.map((b, i) => `--net:${b.netif}=${c.taps[i] ?? ""}`)
  const macs = config.bridges.map((b) => `--net-mac:${b.netif}=${b.mac ?? deriveMac(name, b.netif)}`)
  const blocks = config.blockDevices.map(
    (b) => `--block:${b.name}=${blockPath(c.paths, name.blockName(b.device ?? b.name))}`
  )
  const sectors = config.blockDevices.flatMap((b) =>
    b.sectorSize === null ? [] : [`--block-sector-size:${b.name}=${b.sectorSize}`]
  )
  const argv = [...(config.addName ? [`--name=${nameArgument(name, c.dropPath)}`] : []), ...(config.argv ?? [])]
  return [
    ...cpuPinning(c.os, config.cpuids),
    c.tender,
    `--mem=${config.memory}`,
    ...nets,
    ...macs,
    ...blocks,
    ...sectors,
    "--",
    imagePath(c.paths, name),
    ...argv
  ]
}

/** Spec §5.6 bhyve: unikernel-side names must be "0", "1", ... in list order. */
export const checkBhyveDeviceOrder = (
  config: Pick<UnikernelConfig, "bridges" | "blockDevices">
): Either.Either<void, string> => {
  for (const [i, b] of config.bridges.entries()) {
    if (b.netif !== String(i)) {
      return Either.left(
        `network device on ${b.bridge ?? b.netif} with name ${b.netif} not in ascending order (expected ${i})`
      )
    }
  }
  for (const [i, b] of config.blockDevices.entries()) {
    if (b.name !== String(i)) {
      return Either.left(`block device ${b.device ?? b.name} with name ${b.name} not in ascending order (expected ${i})`)
    }
  }
  return Either.right(undefined)
}

/** Host device of block `"0"`: `couldn't find initial block device` / `no name for initial disk`. */
export const bhyveDisk0 = (config: Pick<UnikernelConfig, "blockDevices">): Either.Either<string, string> => {
  const disk = config.blockDevices.find((b) => b.name === "0")
  if (disk === undefined) return Either.left("couldn't find initial block device")
  if (disk.device === null) return Either.left("no name for initial disk")
  return Either.right(disk.device)
}

/** `timeout 1s bhyveload -m<MEM>m -d<disk0> <vm>` */
export const bhyveloadArgv = (vm: string, memory: number, disk0: string): ReadonlyArray<string> => [
  "timeout",
  "1s",
  "bhyveload",
  `-m${memory}m`,
  `-d${disk0}`,
  vm
]

/** `timeout 1s grub-bhyve -m<mapfile> -rhd0,<P> -M<MEM> <vm>` */
export const grubBhyveArgv = (
  vm: string,
  memory: number,
  mapFile: string,
  partition: string
): ReadonlyArray<string> => ["timeout", "1s", "grub-bhyve", `-m${mapFile}`, `-rhd0,${partition}`, `-M${memory}`, vm]

/** The device map grub-bhyve reads. */
export const grubDeviceMap = (disk0: string): string => `(hd0) ${disk0}\n`

/** `bhyvectl --destroy --vm=<vm>` */
export const bhyvectlDestroyArgv = (vm: string): ReadonlyArray<string> => ["bhyvectl", "--destroy", `--vm=${vm}`]

export interface BhyveCommand {
  readonly vm: string
  readonly name: Name
  readonly config: Pick<UnikernelConfig, "bridges" | "blockDevices" | "numcpus" | "memory">
  /** One tap per entry of `config.bridges`, same order. */
  readonly taps: ReadonlyArray<string>
}

/** Spec §5.6 bhyve argv: slots from 2, nets first, host block devices verbatim. */
export const bhyveArgv = (c: BhyveCommand): ReadonlyArray<string> => {
  let slot = 1
  const nets = c.config.bridges.map(
    (b, i) => `-s${++slot},virtio-net,${c.taps[i] ?? ""},mac=${b.mac ?? deriveMac(c.name, b.netif)}`
  )
  const blocks = c.config.blockDevices.map((b) => `-s${++slot},virtio-blk,${b.device ?? b.name}`)
  return [
    "bhyve",
    "-A",
    "-H",
    "-P",
    "-s0,hostbridge",
    "-s1,lpc",
    ...nets,
    ...blocks,
    "-lcom1,stdio",
    `-c${c.config.numcpus}`,
    `-m${c.config.memory}M`,
    c.vm
  ]
}

/** `alba-<0..99999>`, the VM name (stored as the digest). */
export const bhyveVmName = (random: number): string => `alba-${Math.floor(random * 100000)}`
