/**
 * Which daemon handles a command and how its replies are read (spec §6.7), and the one-line
 * text the reference logs for a command (`Vmm_commands.pp`).
 */
import type { Command } from "./command.js"
import { policyDisplay } from "./policy-rules.js"
import type { BlockSpec, FailBehaviour, NetSpec, UnikernelArguments, UnikernelConfig } from "./unikernel.js"

export type Service = "vmmd" | "console" | "stats"
export type ReplyMode = "single" | "read" | "dump"
export interface Endpoint {
  readonly service: Service
  readonly mode: ReplyMode
}

export const endpointOf = (command: Command): Endpoint => {
  switch (command._tag) {
    case "StatsSubscribe":
      return { service: "stats", mode: "read" }
    case "StatsAdd":
    case "StatsRemove":
    case "StatsInitial":
      return { service: "stats", mode: "single" }
    case "ConsoleListInactive":
      return { service: "console", mode: "single" }
    case "ConsoleAdd":
    case "ConsoleSubscribe":
      return { service: "console", mode: "read" }
    case "BlockDump":
      return { service: "vmmd", mode: "dump" }
    default:
      return { service: "vmmd", mode: "single" }
  }
}

/** The socket file name of a service under `<tmpdir>/util/` (note: `stat`, not `stats`). */
export const socketFileOf = (service: Service): string =>
  service === "vmmd" ? "vmmd.sock" : service === "console" ? "console.sock" : "stat.sock"

const failText = (f: FailBehaviour): string =>
  f._tag === "Quit" ? "quit" : `restart ${f.exitCodes === null ? "all except 1" : f.exitCodes.join(", ")}`

const blockText = (b: BlockSpec): string =>
  `${b.name} -> ${b.device ?? b.name}${b.sectorSize === null ? "" : ` (sector size ${b.sectorSize})`}`

const netText = (n: NetSpec): string => `${n.netif} -> ${n.bridge ?? n.netif}${n.mac === null ? "" : ` (mac ${n.mac})`}`

const argumentsText = (a: UnikernelArguments): string =>
  `fail behaviour ${failText(a.failBehaviour)} startup at ${a.startup ?? "not specified"} add_name ${a.addName} ` +
  `CPUids ${a.cpuids.join(", ")} ${a.memory} MB memory block devices ${a.blockDevices.map(blockText).join(", ")} ` +
  `bridge ${a.bridges.map(netText).join(", ")} #cpus ${a.numcpus} linux_boot ${a.linuxBootPartition ?? "not specified"}`

const configText = (c: UnikernelConfig): string =>
  `typ ${c.typ === "solo5" ? "solo5" : "BHyve"} compression ${c.compressed} image ${c.image.length} bytes ${argumentsText(c)}`

/**
 * `Vmm_commands.pp` on one line. The reference's Format boxes may break a long configuration
 * over several lines; for logs we keep it on one.
 */
export const commandText = (command: Command): string => {
  switch (command._tag) {
    case "ConsoleAdd":
      return `console add (max unikernels ${command.n})`
    case "ConsoleSubscribe":
      return command.query._tag === "Count"
        ? `console subscribe number ${command.query.count}`
        : `console subscribe since ${command.query.since.toISOString()}`
    case "ConsoleListInactive":
      return "console list inactive available ringbuffers"
    case "StatsAdd":
      return `stats add: vmm device ${command.vmmdev} pid ${command.pid} taps ${command.taps.map((t) => `${t.bridge} -> ${t.tap}`).join(", ")}`
    case "StatsRemove":
      return "stat remove"
    case "StatsSubscribe":
      return "stat subscribe"
    case "StatsInitial":
      return "stat initial"
    case "UnikernelInfo":
      return "unikernel info"
    case "OldUnikernelInfo4":
      return "old unikernel info4"
    case "OldUnikernelInfo5":
      return "old unikernel info5"
    case "UnikernelDestroy":
      return "unikernel destroy"
    case "UnikernelCreate":
      return `unikernel create ${configText(command.config)}`
    case "UnikernelForceCreate":
      return `unikernel force create ${configText(command.config)}`
    case "UnikernelRestart":
      return command.args === null ? "unikernel restart" : `unikernel restart ${argumentsText(command.args)}`
    case "UnikernelGet":
      return `unikernel get compress level ${command.level}`
    case "PolicyInfo":
      return "policy info"
    case "PolicyAdd":
      return `policy add ${policyDisplay(command.policy)}`
    case "PolicyRemove":
      return "policy remove"
    case "BlockInfo":
      return "block info"
    case "BlockAdd":
      return `block add ${command.size}`
    case "BlockRemove":
      return "block remove"
    case "BlockSet":
      return `block set compressed ${command.compressed}`
    case "BlockDump":
      return `block dump, compress level ${command.level}`
    case "OldBlockAdd":
      return `old block add ${command.size} compressed ${command.compressed}`
    case "OldBlockSet":
      return `old block set compressed ${command.compressed}`
    case "OldBlockDump":
      return `old block dump, compress level ${command.level}`
  }
}
