/**
 * Which daemon handles a command and how its replies are read (spec §6.7), and the one-line
 * text the reference logs for a command (`Vmm_commands.pp`).
 */
import type { Command } from "./command.js"
import { unsignedText } from "./ocaml-text.js"
import { policyDisplay } from "./policy-rules.js"
import { sortedNumbers } from "./sets.js"
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

/** `Ptime.pp_rfc3339 ()`: whole seconds, the unknown-offset designator `-00:00`. */
const rfc3339 = (d: Date): string => `${d.toISOString().slice(0, 19)}-00:00`

const failText = (f: FailBehaviour): string =>
  f._tag === "Quit"
    ? "quit"
    : `restart ${f.exitCodes === null ? "all except 1" : sortedNumbers(f.exitCodes).join(", ")}`

const blockText = (b: BlockSpec): string =>
  `${b.name} -> ${b.device ?? b.name}${b.sectorSize === null ? "" : `, sector-size: ${b.sectorSize}`}`

const netText = (n: NetSpec): string => `${n.netif} -> ${n.bridge ?? n.netif}${n.mac === null ? "" : `@${n.mac}`}`

/**
 * The body shared by `Unikernel.pp_config` and `pp_arguments`; they differ only in the name
 * of the last field (`linux_boot` vs `linux_boot_partition`).
 */
const argumentsBody = (a: UnikernelArguments, linuxBootLabel: string): string =>
  `fail behaviour ${failText(a.failBehaviour)} startup at ${a.startup ?? "not specified"} add_name ${a.addName} ` +
  `CPUids ${sortedNumbers(a.cpuids).join(", ")} ${a.memory} MB memory ` +
  `block devices ${a.blockDevices.map(blockText).join(", ")} bridge ${a.bridges.map(netText).join(", ")} ` +
  `#cpus ${unsignedText(a.numcpus)} ${linuxBootLabel} ${a.linuxBootPartition ?? "not specified"}`

const configText = (c: UnikernelConfig): string =>
  `typ ${c.typ === "solo5" ? "solo5" : "BHyve"} compression ${c.compressed} image ${c.image.length} bytes ` +
  argumentsBody(c, "linux_boot")

/**
 * `Vmm_commands.pp ~verbose:false` (argv not shown). The reference's Format break hints wrap a
 * long configuration over lines at column 78, which depends on where the text is embedded;
 * ours is always one line, with a space at every break hint (used in logs and error texts).
 */
export const commandText = (command: Command): string => {
  switch (command._tag) {
    case "ConsoleAdd":
      return `console add (max unikernels ${unsignedText(command.n)})`
    case "ConsoleSubscribe":
      return command.query._tag === "Count"
        ? `console subscribe number ${command.query.count}`
        : `console subscribe since ${rfc3339(command.query.since)}`
    case "ConsoleListInactive":
      return "console list inactive available ringbuffers"
    case "StatsAdd":
      return `stats add: vmm device ${command.vmmdev} pid ${command.pid} taps ${command.taps.map((t) => `${t.bridge}: ${t.tap}`).join(", ")}`
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
      return command.args === null
        ? "unikernel restart"
        : `unikernel restart ${argumentsBody(command.args, "linux_boot_partition")}`
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
      return `old block add ${command.size} (compressed ${command.compressed} data ${command.data === null ? "no data" : command.data.length})`
    case "OldBlockSet":
      return `old block set compressed ${command.compressed} ${command.data.length} bytes`
    case "OldBlockDump":
      return `old block dump, compress level ${command.level}`
  }
}
