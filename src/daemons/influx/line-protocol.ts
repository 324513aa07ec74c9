/**
 * Stats messages to InfluxDB line protocol, exactly as the reference albatross-influx writes
 * them (spec §9.2): measurement and field names (including the `maxflt` typo for majflt),
 * unsigned printing of int64 and int32 values, `sec.usec` times, escaping of vmm keys only,
 * no timestamps (the server's time is used).
 */
import type { IfData, KinfoMem, Rusage, Stats, Timeval, VmmStat } from "../../domain/stats.js"
import type { Name } from "../../domain/name.js"

/** `%Lu`: an int64 printed as unsigned. */
const u64 = (v: bigint): string => BigInt.asUintN(64, v).toString()
const i64 = (v: bigint): string => `${u64(v)}i`
/** `%lu` of an int32. */
const i32 = (v: number): string => `${v >>> 0}i`
/** `%u` of an OCaml int (63 bits, printed through a C long). */
const uint = (v: number): string => `${BigInt.asUintN(64, BigInt(Math.trunc(v))).toString()}i`

/** `%06d`: zero padded to 6 characters, a minus sign counting as one. */
const pad6 = (n: number): string => (n < 0 ? `-${String(-n).padStart(5, "0")}` : String(n).padStart(6, "0"))

/** `%Lu.%06d` */
export const timeval = (t: Timeval): string => `${u64(t.sec)}.${pad6(t.usec)}`

/** The `vm` tag value: the label only (the full name when there is none), or the full name with `--no-drop-path`. */
export const vmTag = (name: Name, noDropPath: boolean): string =>
  noDropPath || name.label === null ? name.toString() : name.label

export const rusageLine = (vm: string, ru: Rusage): string =>
  `resource_usage,vm=${vm} utime=${timeval(ru.utime)},stime=${timeval(ru.stime)},maxrss=${i64(ru.maxrss)},ixrss=${i64(ru.ixrss)},idrss=${i64(ru.idrss)},isrss=${i64(ru.isrss)},minflt=${i64(ru.minflt)},maxflt=${i64(ru.majflt)},nswap=${i64(ru.nswap)},inblock=${i64(ru.inblock)},outblock=${i64(ru.outblock)},msgsnd=${i64(ru.msgsnd)},msgrcv=${i64(ru.msgrcv)},nsignals=${i64(ru.nsignals)},nvcsw=${i64(ru.nvcsw)},nivcsw=${i64(ru.nivcsw)}`

/** `%f` of (now − start): six decimals. */
export const uptime = (mem: KinfoMem, nowSeconds: number): string => {
  const started = Number(mem.start.sec) + mem.start.usec / 1_000_000
  return (nowSeconds - started).toFixed(6)
}

export const kinfoMemLine = (vm: string, mem: KinfoMem, nowSeconds: number): string =>
  `kinfo_mem,vm=${vm} vsize=${i64(mem.vsize)},rss=${i64(mem.rss)},tsize=${i64(mem.tsize)},dsize=${i64(mem.dsize)},ssize=${i64(mem.ssize)},cow_faults=${uint(mem.cow)},runtime=${i64(mem.runtime)},uptime=${uptime(mem, nowSeconds)}`

/** Field keys of vmm counters: `,`, space and `=` escaped with a backslash. */
export const escapeKey = (key: string): string => key.replace(/[, =]/g, (c) => `\\${c}`)

/** An empty list gives a line without fields, as the reference does ([QUIRK], spec §9.2). */
export const vmmLine = (vm: string, stats: ReadonlyArray<VmmStat>): string =>
  `vmm,vm=${vm} ${stats.map((s) => `${escapeKey(s.key)}=${i64(s.value)}`).join(",")}`

export const interfaceLine = (vm: string, i: IfData): string =>
  `interface,vm=${vm},bridge=${i.bridge} send_queue_length=${i32(i.sendLength)},max_send_queue_length=${i32(i.maxSendLength)},send_queue_drops=${i32(i.sendDrops)},mtu=${i32(i.mtu)},baudrate=${i64(i.baudrate)},vm_to_host_packets=${i64(i.inputPackets)},vm_to_host_errors=${i64(i.inputErrors)},vm_to_host_bytes=${i64(i.inputBytes)},vm_to_host_mcast=${i64(i.inputMcast)},vm_to_host_dropped=${i64(i.inputDropped)},collisions=${i64(i.collisions)},host_to_vm_packets=${i64(i.outputPackets)},host_to_vm_errors=${i64(i.outputErrors)},host_to_vm_bytes=${i64(i.outputBytes)},host_to_vm_mcast=${i64(i.outputMcast)},host_to_vm_dropped=${i64(i.outputDropped)}`

/** One batch per stats message: lines joined by `\n`, with a trailing `\n`. */
export const statsToLines = (vm: string, stats: Stats, nowSeconds: number): string => {
  const lines = [rusageLine(vm, stats.rusage)]
  if (stats.kinfoMem !== null) lines.push(kinfoMemLine(vm, stats.kinfoMem, nowSeconds))
  if (stats.vmm !== null) lines.push(vmmLine(vm, stats.vmm))
  for (const i of stats.ifdata) lines.push(interfaceLine(vm, i))
  return `${lines.join("\n")}\n`
}
