/**
 * `--json`: each reply or data message as one JSON object, in the value format of the
 * golden vectors (`../shared/vectors/README.md`): snake_case fields, names in their wire
 * form, int64 as decimal strings, byte strings as hex. Images and block data are not
 * inlined (they go to files); their size is given instead.
 */
import type { Name } from "../domain/name.js"
import type { Policy } from "../domain/policy.js"
import type { Data, Success } from "../domain/reply.js"
import type { Stats, Timeval } from "../domain/stats.js"
import type { FailBehaviour, UnikernelConfig, UnikernelInfo } from "../domain/unikernel.js"
import type { Header, Payload } from "../domain/wire.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const name = (n: Name): string => n.toString()
/** OCaml ints beyond 2^53 as strings, others as numbers. */
const int = (n: bigint | number): number | string =>
  typeof n === "number" ? n : n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n.toString()
const int64 = (n: bigint): string => n.toString()
/** RFC 3339 with `Z`, fractional seconds only when non-zero. */
const time = (d: Date): string => d.toISOString().replace(/\.000Z$/, "Z").replace(/(\.\d*?)0+Z$/, "$1Z")

const failBehaviour = (f: FailBehaviour): Json =>
  f._tag === "Quit" ? { kind: "quit" } : { kind: "restart", exit_codes: f.exitCodes === null ? null : [...f.exitCodes] }

export const policyJson = (p: Policy): Json => ({
  unikernels: int(p.unikernels),
  cpuids: [...p.cpuids],
  memory: p.memory,
  block: p.block,
  bridges: [...p.bridges]
})

const infoJson = (i: UnikernelInfo): Json => ({
  typ: i.typ,
  fail_behaviour: failBehaviour(i.failBehaviour),
  startup: i.startup,
  cpuids: [...i.cpuids],
  memory: i.memory,
  block_devices: i.blockDevices.map((b) => ({
    unikernel_device: b.unikernelDevice,
    host_device: b.hostDevice,
    sector_size: b.sectorSize,
    size: b.size
  })),
  bridges: i.bridges.map((b) => ({ unikernel_device: b.unikernelDevice, host_device: b.hostDevice, mac: b.mac })),
  argv: i.argv === null ? null : [...i.argv],
  digest: hex(i.digest),
  started: time(i.started),
  numcpus: i.numcpus,
  linux_boot_partition: i.linuxBootPartition
})

/** A configuration as stored in a state file; the image is given by size and digest only. */
export const configJson = (c: UnikernelConfig, imageFile?: string): Json => ({
  typ: c.typ,
  compressed: c.compressed,
  image_size: c.image.length,
  ...(imageFile === undefined ? {} : { image_file: imageFile }),
  fail_behaviour: failBehaviour(c.failBehaviour),
  startup: c.startup,
  add_name: c.addName,
  cpuids: [...c.cpuids],
  memory: c.memory,
  block_devices: c.blockDevices.map((b) => ({ name: b.name, device: b.device, sector_size: b.sectorSize })),
  bridges: c.bridges.map((b) => ({ name: b.netif, bridge: b.bridge, mac: b.mac })),
  argv: c.argv === null ? null : [...c.argv],
  numcpus: c.numcpus,
  linux_boot_partition: c.linuxBootPartition
})

const successJson = (s: Success): Json => {
  switch (s._tag) {
    case "Empty":
      return { type: "empty" }
    case "String":
      return { type: "string", string: s.message }
    case "Policies":
      return { type: "policies", policies: s.policies.map((p) => ({ name: name(p.name), value: policyJson(p.policy) })) }
    case "UnikernelInfo":
    case "OldUnikernelInfo4":
    case "OldUnikernelInfo5":
      return {
        type: s._tag === "UnikernelInfo" ? "unikernel_info" : s._tag === "OldUnikernelInfo4" ? "old_unikernel_info4" : "old_unikernel_info5",
        unikernels: s.unikernels.map((u) => ({ name: name(u.name), value: infoJson(u.info) }))
      }
    case "UnikernelImage":
      return { type: "unikernel_image", compressed: s.compressed, image_size: s.image.length }
    case "BlockDevices":
      return {
        type: "block_devices",
        block_devices: s.blockDevices.map((b) => ({ name: name(b.name), size: b.size, active: b.active }))
      }
    case "BlockDeviceImage":
      return { type: "block_device_image", compressed: s.compressed }
    case "OldBlockDeviceImage":
      return { type: "old_block_device_image", compressed: s.compressed, image_size: s.image.length }
    case "Consoles":
      return { type: "consoles", consoles: s.consoles.map(name) }
  }
}

const timeval = (t: Timeval): Json => ({ sec: int64(t.sec), usec: t.usec })

const statsJson = (s: Stats): Json => {
  const r = s.rusage
  return {
    rusage: {
      utime: timeval(r.utime),
      stime: timeval(r.stime),
      maxrss: int64(r.maxrss),
      ixrss: int64(r.ixrss),
      idrss: int64(r.idrss),
      isrss: int64(r.isrss),
      minflt: int64(r.minflt),
      majflt: int64(r.majflt),
      nswap: int64(r.nswap),
      inblock: int64(r.inblock),
      outblock: int64(r.outblock),
      msgsnd: int64(r.msgsnd),
      msgrcv: int64(r.msgrcv),
      nsignals: int64(r.nsignals),
      nvcsw: int64(r.nvcsw),
      nivcsw: int64(r.nivcsw)
    },
    kinfo_mem:
      s.kinfoMem === null
        ? null
        : {
            vsize: int64(s.kinfoMem.vsize),
            rss: int64(s.kinfoMem.rss),
            tsize: int64(s.kinfoMem.tsize),
            dsize: int64(s.kinfoMem.dsize),
            ssize: int64(s.kinfoMem.ssize),
            runtime: int64(s.kinfoMem.runtime),
            cow: s.kinfoMem.cow,
            start: timeval(s.kinfoMem.start)
          },
    vmm: s.vmm === null ? null : s.vmm.map((v) => ({ key: v.key, value: int64(v.value) })),
    ifdata: s.ifdata.map((i) => ({
      bridge: i.bridge,
      flags: i.flags,
      send_length: i.sendLength,
      max_send_length: i.maxSendLength,
      send_drops: i.sendDrops,
      mtu: i.mtu,
      baudrate: int64(i.baudrate),
      input_packets: int64(i.inputPackets),
      input_errors: int64(i.inputErrors),
      output_packets: int64(i.outputPackets),
      output_errors: int64(i.outputErrors),
      collisions: int64(i.collisions),
      input_bytes: int64(i.inputBytes),
      output_bytes: int64(i.outputBytes),
      input_mcast: int64(i.inputMcast),
      output_mcast: int64(i.outputMcast),
      input_dropped: int64(i.inputDropped),
      output_dropped: int64(i.outputDropped)
    }))
  }
}

const dataJson = (d: Data): Json => {
  switch (d._tag) {
    case "ConsoleData":
      // console lines are raw bytes; JSON carries them as text (invalid UTF-8 becomes U+FFFD)
      return { type: "console_data", timestamp: time(d.timestamp), line: Buffer.from(d.line).toString("utf8") }
    case "BlockData":
      return { type: "block_data", size: d.data === null ? null : d.data.length }
    case "StatsData":
      return { type: "stats_data", stats: statsJson(d.stats) }
  }
}

/** A received message (never a command: those are answered with exit 125). */
export const messageJson = (header: Header, payload: Exclude<Payload, { _tag: "Command" }>): Json => {
  const head = { version: header.version, sequence: int64(header.sequence), name: name(header.name) }
  switch (payload._tag) {
    case "Success":
      return { header: head, payload: { success: successJson(payload.success) } }
    case "Failure":
      return { header: head, payload: { failure: payload.message } }
    case "Data":
      return { header: head, payload: { data: dataJson(payload.data) } }
  }
}
