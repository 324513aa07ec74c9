/**
 * The human-readable lines of the reference client (spec §11.5), piece by piece, so that
 * `ocaml-format.ts` wraps them where albatross does.
 */
import type { Name } from "../domain/name.js"
import type { Policy } from "../domain/policy.js"
import { policyDisplay } from "../domain/policy-rules.js"
import type { Data, Success } from "../domain/reply.js"
import type { IfData, KinfoMem, Rusage, Stats } from "../domain/stats.js"
import type { BlockSpec, FailBehaviour, NetSpec, Typ, UnikernelConfig, UnikernelInfo } from "../domain/unikernel.js"
import type { Header, Payload } from "../domain/wire.js"
import { escapeOcaml } from "./escape.js"
import { BREAK, FLUSH, type Piece } from "./ocaml-format.js"

/** `Ptime.pp_rfc3339 ()`: seconds precision, unknown offset rendered `-00:00`. */
export const rfc3339 = (d: Date): string => `${d.toISOString().slice(0, 19)}-00:00`

export const nameText = (name: Name): string => name.display()

const typText = (typ: Typ): string => (typ === "solo5" ? "solo5" : "BHyve")

const failBehaviourText = (f: FailBehaviour): string =>
  f._tag === "Quit" ? "quit" : `restart ${f.exitCodes === null ? "all except 1" : f.exitCodes.join(", ")}`

const optionText = <A>(value: A | null, show: (a: A) => string, none: string): string =>
  value === null ? none : show(value)

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

/** `Policy.pp` */
export const policyText = (p: Policy): string => policyDisplay(p)

const blockInfoText = (b: UnikernelInfo["blockDevices"][number]): string =>
  `${b.unikernelDevice} -> ${b.hostDevice} (sector-size: ${b.sectorSize} bytes, size ${b.size} MB)`

const netInfoText = (n: UnikernelInfo["bridges"][number]): string =>
  `${n.unikernelDevice} -> ${n.hostDevice} (mac ${n.mac})`

const digestText = (typ: Typ, digest: Uint8Array): string =>
  typ === "solo5" ? `digest ${hex(digest)}` : `bhyve-vmname ${Buffer.from(digest).toString("latin1")}`

/** `Unikernel.pp_info` */
export const infoPieces = (info: UnikernelInfo): Array<Piece> => [
  `typ ${typText(info.typ)}`,
  BREAK,
  `started ${rfc3339(info.started)}`,
  BREAK,
  `fail behaviour ${failBehaviourText(info.failBehaviour)}`,
  BREAK,
  `startup at ${optionText(info.startup, String, "not specified")}`,
  BREAK,
  `CPUids ${info.cpuids.join(", ")}`,
  BREAK,
  `${info.memory} MB memory`,
  BREAK,
  `block devices ${info.blockDevices.map(blockInfoText).join(", ")}`,
  BREAK,
  `bridge ${info.bridges.map(netInfoText).join(", ")}`,
  BREAK,
  digestText(info.typ, info.digest),
  BREAK,
  `#cpus ${info.numcpus}`,
  BREAK,
  `linux_boot_partition ${optionText(info.linuxBootPartition, String, "not specified")}`
]

const blockSpecText = (b: BlockSpec): string =>
  `${b.name} -> ${b.device ?? b.name}${b.sectorSize === null ? "" : `, sector-size: ${b.sectorSize}`}`

const netSpecText = (n: NetSpec): string => `${n.netif} -> ${n.bridge ?? n.netif}${n.mac === null ? "" : `@${n.mac}`}`

/** `Unikernel.pp_config` */
export const configPieces = (c: UnikernelConfig): Array<Piece> => [
  `typ ${typText(c.typ)}`,
  BREAK,
  `compression ${c.compressed} image ${c.image.length} bytes`,
  BREAK,
  `fail behaviour ${failBehaviourText(c.failBehaviour)}`,
  BREAK,
  `startup at ${optionText(c.startup, String, "not specified")}`,
  BREAK,
  `add_name ${c.addName}`,
  BREAK,
  `CPUids ${c.cpuids.join(", ")}`,
  BREAK,
  `${c.memory} MB memory`,
  BREAK,
  `block devices ${c.blockDevices.map(blockSpecText).join(", ")}`,
  BREAK,
  `bridge ${c.bridges.map(netSpecText).join(", ")}`,
  BREAK,
  `#cpus ${c.numcpus}`,
  BREAK,
  `linux_boot ${optionText(c.linuxBootPartition, String, "not specified")}`
]

/** `Unikernel.pp_config_with_argv` */
export const configWithArgvPieces = (c: UnikernelConfig): Array<Piece> => [
  ...configPieces(c),
  BREAK,
  `argv ${c.argv === null ? "no" : c.argv.join(" ")}`
]

/** `my_fmt_list`: elements separated by `@.` (which flushes), or a fixed text when empty. */
const listPieces = <A>(items: ReadonlyArray<A>, empty: string, item: (a: A) => Array<Piece>): Array<Piece> => {
  if (items.length === 0) return [empty]
  const out: Array<Piece> = []
  items.forEach((a, i) => {
    if (i > 0) out.push(FLUSH)
    out.push(...item(a))
  })
  return out
}

/** `pp_success` */
export const successPieces = (s: Success): Array<Piece> => {
  switch (s._tag) {
    case "Empty":
      return ["success"]
    case "String":
      return [`success: ${s.message}`]
    case "Policies":
      return listPieces(s.policies, "no policies", (p) => [`${nameText(p.name)}: ${policyText(p.policy)}`])
    case "UnikernelInfo":
    case "OldUnikernelInfo4":
    case "OldUnikernelInfo5":
      return listPieces(s.unikernels, "no unikernels", (u) => [`${nameText(u.name)}: `, ...infoPieces(u.info)])
    case "UnikernelImage":
      return [`image (compression ${s.compressed}) ${s.image.length} bytes`]
    case "BlockDevices":
      return listPieces(s.blockDevices, "no block devices", (b) => [
        `block ${nameText(b.name)} size ${b.size} MB active ${b.active}`
      ])
    case "OldBlockDeviceImage":
      return [`old block device compressed ${s.compressed}, ${s.image.length} bytes`]
    case "BlockDeviceImage":
      return [`block device compressed ${s.compressed}`]
    case "Consoles":
      return listPieces(s.consoles, "no consoles", (n) => [nameText(n)])
  }
}

/** `%Lu`: int64 printed unsigned. */
const lu = (n: bigint): string => BigInt.asUintN(64, n).toString()

const timeval = (t: { sec: bigint; usec: number }): string => `${lu(t.sec)}.${String(t.usec).padStart(6, "0")}`

const rusageText = (r: Rusage): string =>
  `utime ${timeval(r.utime)} stime ${timeval(r.stime)} maxrss ${lu(r.maxrss)} ixrss ${lu(r.ixrss)} idrss ${lu(r.idrss)} ` +
  `isrss ${lu(r.isrss)} minflt ${lu(r.minflt)} majflt ${lu(r.majflt)} nswap ${lu(r.nswap)} inblock ${lu(r.inblock)} ` +
  `outblock ${lu(r.outblock)} msgsnd ${lu(r.msgsnd)} msgrcv ${lu(r.msgrcv)} signals ${lu(r.nsignals)} nvcsw ${lu(r.nvcsw)} ` +
  `nivcsw ${lu(r.nivcsw)}`

const kinfoText = (k: KinfoMem): string =>
  `virtual-size ${lu(k.vsize)} rss ${lu(k.rss)} text-size ${lu(k.tsize)} data-size ${lu(k.dsize)} stack-size ${lu(k.ssize)} ` +
  `runtime ${lu(k.runtime)} cow ${k.cow} start ${timeval(k.start)}`

/** int32 printed with `%lu` / `%lX`: as unsigned 32-bit. */
const u32 = (n: number): number => n >>> 0

const ifdataText = (i: IfData): string =>
  `bridge ${i.bridge} flags ${u32(i.flags).toString(16).toUpperCase()} send_length ${u32(i.sendLength)} ` +
  `max_send_length ${u32(i.maxSendLength)} send_drops ${u32(i.sendDrops)} mtu ${u32(i.mtu)} ` +
  `baudrate ${lu(i.baudrate)} input_packets ${lu(i.inputPackets)} input_errors ${lu(i.inputErrors)} ` +
  `output_packets ${lu(i.outputPackets)} output_errors ${lu(i.outputErrors)} collisions ${lu(i.collisions)} ` +
  `input_bytes ${lu(i.inputBytes)} output_bytes ${lu(i.outputBytes)} input_mcast ${lu(i.inputMcast)} ` +
  `output_mcast ${lu(i.outputMcast)} input_dropped ${lu(i.inputDropped)} output_dropped ${lu(i.outputDropped)}`

/** `Stats.pp`: four parts separated by `@.`, interfaces separated by an empty line. */
export const statsPieces = (s: Stats): Array<Piece> => {
  const out: Array<Piece> = [rusageText(s.rusage), FLUSH, s.kinfoMem === null ? "no kinfo_mem stats" : kinfoText(s.kinfoMem), FLUSH]
  if (s.vmm === null) out.push("no vmm stats")
  else
    s.vmm.forEach((v, i) => {
      if (i > 0) out.push(FLUSH)
      out.push(`${v.key}: ${v.value}`)
    })
  out.push(FLUSH)
  s.ifdata.forEach((i, n) => {
    if (n > 0) out.push(FLUSH, FLUSH)
    out.push(ifdataText(i))
  })
  return out
}

/** `pp_data` */
export const dataPieces = (d: Data): Array<Piece> => {
  switch (d._tag) {
    case "ConsoleData":
      return [`console ${rfc3339(d.timestamp)}: ${escapeOcaml(d.line)}`]
    case "StatsData":
      return ["stats: ", ...statsPieces(d.stats)]
    case "BlockData":
      return [`block data ${d.data === null ? "eof" : `${d.data.length} bytes`}`]
  }
}

/** `pp_wire`, without the `Command` case (a client never prints commands it receives). */
export const wirePieces = (header: Header, payload: Exclude<Payload, { _tag: "Command" }>): Array<Piece> => {
  switch (payload._tag) {
    case "Failure":
      return [`host ${nameText(header.name)}: command failed ${payload.message}`]
    case "Success":
      return [`host ${nameText(header.name)}: `, ...successPieces(payload.success)]
    case "Data":
      return dataPieces(payload.data)
  }
}
