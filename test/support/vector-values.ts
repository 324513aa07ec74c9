/**
 * Converts the JSON value format of the golden vectors (../shared/vectors/README.md, "Value
 * format") into albatross-ts domain values, so tests can compare decoded values and feed the
 * encoders. Shared by every suite that reads the vectors.
 */
import { Either } from "effect"
import type { Command, ConsoleQuery } from "../../src/domain/command.js"
import { Name } from "../../src/domain/name.js"
import type { Policy } from "../../src/domain/policy.js"
import type { Data, Success } from "../../src/domain/reply.js"
import type { IfData, KinfoMem, Rusage, Stats, Timeval } from "../../src/domain/stats.js"
import type { FailBehaviour, UnikernelArguments, UnikernelConfig, UnikernelInfo } from "../../src/domain/unikernel.js"
import type { CertExtension, Header, PersistedState, Wire } from "../../src/domain/wire.js"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
type Obj = { readonly [k: string]: Json }

const obj = (j: Json, what = "value"): Obj => {
  if (j === null || typeof j !== "object" || Array.isArray(j)) throw new Error(`${what}: expected an object, got ${JSON.stringify(j)}`)
  return j as Obj
}
const arr = (j: Json, what = "value"): ReadonlyArray<Json> => {
  if (!Array.isArray(j)) throw new Error(`${what}: expected an array, got ${JSON.stringify(j)}`)
  return j
}
const str = (j: Json, what = "value"): string => {
  if (typeof j !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(j)}`)
  return j
}
const bool = (j: Json, what = "value"): boolean => {
  if (typeof j !== "boolean") throw new Error(`${what}: expected a boolean, got ${JSON.stringify(j)}`)
  return j
}
/** OCaml int that fits a JS number. */
const num = (j: Json, what = "value"): number => {
  if (typeof j === "number") return j
  if (typeof j === "string" && /^-?\d+$/.test(j)) {
    const n = Number(j)
    if (Number.isSafeInteger(n)) return n
  }
  throw new Error(`${what}: expected a safe integer, got ${JSON.stringify(j)}`)
}
/** OCaml int or int64 kept as bigint (number or decimal string in the JSON). */
const big = (j: Json, what = "value"): bigint => {
  if (typeof j === "number" && Number.isInteger(j)) return BigInt(j)
  if (typeof j === "string" && /^-?\d+$/.test(j)) return BigInt(j)
  throw new Error(`${what}: expected an integer, got ${JSON.stringify(j)}`)
}
const nullable = <A>(j: Json | undefined, f: (j: Json) => A): A | null => (j === null || j === undefined ? null : f(j))

export const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"))
export const bytesToHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")

export const nameFromJson = (j: Json): Name => {
  const parsed = Name.fromString(str(j, "name"))
  if (Either.isLeft(parsed)) throw new Error(`bad name in vector: ${JSON.stringify(j)}: ${parsed.left}`)
  return parsed.right
}

/** RFC 3339 UTC with optional fraction. Sub-millisecond digits are truncated (a Date has none). */
export const timeFromJson = (j: Json): Date => {
  const s = str(j, "time")
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(s)
  if (m === null) throw new Error(`bad time in vector: ${s}`)
  const ms = m[7] === undefined ? 0 : Number((m[7] + "000").slice(0, 3))
  const d = new Date(0)
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), ms)
  return d
}

export const failBehaviourFromJson = (j: Json): FailBehaviour => {
  const o = obj(j, "fail_behaviour")
  if (o.kind === "quit") return { _tag: "Quit" }
  if (o.kind === "restart") return { _tag: "Restart", exitCodes: nullable(o.exit_codes, (c) => arr(c).map((x) => num(x))) }
  throw new Error(`bad fail_behaviour ${JSON.stringify(j)}`)
}

export const policyFromJson = (j: Json): Policy => {
  const o = obj(j, "policy")
  return {
    unikernels: big(o.unikernels!, "unikernels"),
    cpuids: arr(o.cpuids!, "cpuids").map((x) => num(x)),
    memory: num(o.memory!, "memory"),
    block: nullable(o.block, (b) => num(b)),
    bridges: arr(o.bridges!, "bridges").map((x) => str(x))
  }
}

export const argumentsFromJson = (j: Json): UnikernelArguments => {
  const o = obj(j, "arguments")
  return {
    failBehaviour: failBehaviourFromJson(o.fail_behaviour!),
    startup: nullable(o.startup, (x) => num(x)),
    addName: bool(o.add_name!, "add_name"),
    cpuids: arr(o.cpuids!, "cpuids").map((x) => num(x)),
    memory: num(o.memory!, "memory"),
    blockDevices: arr(o.block_devices!, "block_devices").map((b) => {
      const bo = obj(b)
      return { name: str(bo.name!), device: nullable(bo.device, (x) => str(x)), sectorSize: nullable(bo.sector_size, (x) => num(x)) }
    }),
    bridges: arr(o.bridges!, "bridges").map((b) => {
      const bo = obj(b)
      return { netif: str(bo.name!), bridge: nullable(bo.bridge, (x) => str(x)), mac: nullable(bo.mac, (x) => str(x)) }
    }),
    argv: nullable(o.argv, (a) => arr(a).map((x) => str(x))),
    numcpus: num(o.numcpus!, "numcpus"),
    linuxBootPartition: nullable(o.linux_boot_partition, (x) => str(x))
  }
}

export const configFromJson = (j: Json): UnikernelConfig => {
  const o = obj(j, "config")
  const typ = str(o.typ!, "typ")
  if (typ !== "solo5" && typ !== "bhyve") throw new Error(`bad typ ${typ}`)
  return { typ, compressed: bool(o.compressed!), image: hexToBytes(str(o.image!)), ...argumentsFromJson(j) }
}

export const infoFromJson = (j: Json): UnikernelInfo => {
  const o = obj(j, "info")
  const typ = str(o.typ!, "typ")
  if (typ !== "solo5" && typ !== "bhyve") throw new Error(`bad typ ${typ}`)
  return {
    typ,
    failBehaviour: failBehaviourFromJson(o.fail_behaviour!),
    startup: nullable(o.startup, (x) => num(x)),
    cpuids: arr(o.cpuids!).map((x) => num(x)),
    memory: num(o.memory!),
    blockDevices: arr(o.block_devices!).map((b) => {
      const bo = obj(b)
      return {
        unikernelDevice: str(bo.unikernel_device!),
        hostDevice: str(bo.host_device!),
        sectorSize: num(bo.sector_size!),
        size: num(bo.size!)
      }
    }),
    bridges: arr(o.bridges!).map((b) => {
      const bo = obj(b)
      return { unikernelDevice: str(bo.unikernel_device!), hostDevice: str(bo.host_device!), mac: str(bo.mac!) }
    }),
    argv: nullable(o.argv, (a) => arr(a).map((x) => str(x))),
    digest: hexToBytes(str(o.digest!)),
    started: timeFromJson(o.started!),
    numcpus: num(o.numcpus!),
    linuxBootPartition: nullable(o.linux_boot_partition, (x) => str(x))
  }
}

export const commandFromJson = (j: Json): Command => {
  const o = obj(j, "command")
  const cmd = str(o.cmd!, "cmd")
  switch (cmd) {
    case "console_add":
      return { _tag: "ConsoleAdd", n: big(o.n!) }
    case "console_subscribe": {
      const query: ConsoleQuery =
        o.since !== undefined ? { _tag: "Since", since: timeFromJson(o.since) } : { _tag: "Count", count: big(o.count!) }
      return { _tag: "ConsoleSubscribe", query }
    }
    case "console_list_inactive":
      return { _tag: "ConsoleListInactive" }
    case "stats_add":
      return {
        _tag: "StatsAdd",
        vmmdev: str(o.vmmdev!),
        pid: num(o.pid!),
        taps: arr(o.taps!).map((t) => ({ bridge: str(obj(t).bridge!), tap: str(obj(t).tap!) }))
      }
    case "stats_remove":
      return { _tag: "StatsRemove" }
    case "stats_subscribe":
      return { _tag: "StatsSubscribe" }
    case "stats_initial":
      return { _tag: "StatsInitial" }
    case "unikernel_info":
      return { _tag: "UnikernelInfo" }
    case "unikernel_destroy":
      return { _tag: "UnikernelDestroy" }
    case "old_unikernel_info4":
      return { _tag: "OldUnikernelInfo4" }
    case "old_unikernel_info5":
      return { _tag: "OldUnikernelInfo5" }
    case "unikernel_create":
      return { _tag: "UnikernelCreate", config: configFromJson(o.config!) }
    case "unikernel_force_create":
      return { _tag: "UnikernelForceCreate", config: configFromJson(o.config!) }
    case "unikernel_restart":
      return { _tag: "UnikernelRestart", args: nullable(o.args, argumentsFromJson) }
    case "unikernel_get":
      return { _tag: "UnikernelGet", level: num(o.level!) }
    case "policy_info":
      return { _tag: "PolicyInfo" }
    case "policy_remove":
      return { _tag: "PolicyRemove" }
    case "policy_add":
      return { _tag: "PolicyAdd", policy: policyFromJson(o.policy!) }
    case "block_info":
      return { _tag: "BlockInfo" }
    case "block_remove":
      return { _tag: "BlockRemove" }
    case "block_add":
      return { _tag: "BlockAdd", size: num(o.size!) }
    case "block_set":
      return { _tag: "BlockSet", compressed: bool(o.compressed!) }
    case "block_dump":
      return { _tag: "BlockDump", level: num(o.level!) }
    case "old_block_add":
      return { _tag: "OldBlockAdd", size: num(o.size!), compressed: bool(o.compressed!), data: nullable(o.data, (d) => hexToBytes(str(d))) }
    case "old_block_set":
      return { _tag: "OldBlockSet", compressed: bool(o.compressed!), data: hexToBytes(str(o.data!)) }
    case "old_block_dump":
      return { _tag: "OldBlockDump", level: num(o.level!) }
  }
  throw new Error(`unknown cmd ${cmd}`)
}

const named = <A>(j: Json, f: (v: Json) => A): ReadonlyArray<{ name: Name; value: A }> =>
  arr(j).map((e) => ({ name: nameFromJson(obj(e).name!), value: f(obj(e).value!) }))

export const successFromJson = (j: Json): Success => {
  const o = obj(j, "success")
  const type = str(o.type!, "type")
  switch (type) {
    case "empty":
      return { _tag: "Empty" }
    case "string":
      return { _tag: "String", message: str(o.string!) }
    case "policies":
      return { _tag: "Policies", policies: named(o.policies!, policyFromJson).map((e) => ({ name: e.name, policy: e.value })) }
    case "unikernel_info":
    case "old_unikernel_info4":
    case "old_unikernel_info5": {
      const unikernels = named(o.unikernels!, infoFromJson).map((e) => ({ name: e.name, info: e.value }))
      const tag = type === "unikernel_info" ? "UnikernelInfo" : type === "old_unikernel_info4" ? "OldUnikernelInfo4" : "OldUnikernelInfo5"
      return { _tag: tag, unikernels }
    }
    case "unikernel_image":
      return { _tag: "UnikernelImage", compressed: bool(o.compressed!), image: hexToBytes(str(o.image!)) }
    case "block_devices":
      return {
        _tag: "BlockDevices",
        blockDevices: arr(o.block_devices!).map((b) => ({ name: nameFromJson(obj(b).name!), size: num(obj(b).size!), active: bool(obj(b).active!) }))
      }
    case "block_device_image":
      return { _tag: "BlockDeviceImage", compressed: bool(o.compressed!) }
    case "old_block_device_image":
      return { _tag: "OldBlockDeviceImage", compressed: bool(o.compressed!), image: hexToBytes(str(o.image!)) }
    case "consoles":
      return { _tag: "Consoles", consoles: arr(o.consoles!).map(nameFromJson) }
  }
  throw new Error(`unknown success type ${type}`)
}

const timevalFromJson = (j: Json): Timeval => ({ sec: big(obj(j).sec!), usec: num(obj(j).usec!) })

const rusageFromJson = (j: Json): Rusage => {
  const o = obj(j, "rusage")
  const i = (k: string): bigint => big(o[k]!, k)
  return {
    utime: timevalFromJson(o.utime!),
    stime: timevalFromJson(o.stime!),
    maxrss: i("maxrss"),
    ixrss: i("ixrss"),
    idrss: i("idrss"),
    isrss: i("isrss"),
    minflt: i("minflt"),
    majflt: i("majflt"),
    nswap: i("nswap"),
    inblock: i("inblock"),
    outblock: i("outblock"),
    msgsnd: i("msgsnd"),
    msgrcv: i("msgrcv"),
    nsignals: i("nsignals"),
    nvcsw: i("nvcsw"),
    nivcsw: i("nivcsw")
  }
}

const kinfoFromJson = (j: Json): KinfoMem => {
  const o = obj(j, "kinfo_mem")
  const i = (k: string): bigint => big(o[k]!, k)
  return {
    vsize: i("vsize"),
    rss: i("rss"),
    tsize: i("tsize"),
    dsize: i("dsize"),
    ssize: i("ssize"),
    runtime: i("runtime"),
    cow: num(o.cow!),
    start: timevalFromJson(o.start!)
  }
}

const ifdataFromJson = (j: Json): IfData => {
  const o = obj(j, "ifdata")
  const i = (k: string): bigint => big(o[k]!, k)
  return {
    bridge: str(o.bridge!),
    flags: num(o.flags!),
    sendLength: num(o.send_length!),
    maxSendLength: num(o.max_send_length!),
    sendDrops: num(o.send_drops!),
    mtu: num(o.mtu!),
    baudrate: i("baudrate"),
    inputPackets: i("input_packets"),
    inputErrors: i("input_errors"),
    outputPackets: i("output_packets"),
    outputErrors: i("output_errors"),
    collisions: i("collisions"),
    inputBytes: i("input_bytes"),
    outputBytes: i("output_bytes"),
    inputMcast: i("input_mcast"),
    outputMcast: i("output_mcast"),
    inputDropped: i("input_dropped"),
    outputDropped: i("output_dropped")
  }
}

export const statsFromJson = (j: Json): Stats => {
  const o = obj(j, "stats")
  return {
    rusage: rusageFromJson(o.rusage!),
    kinfoMem: nullable(o.kinfo_mem, kinfoFromJson),
    vmm: nullable(o.vmm, (v) => arr(v).map((e) => ({ key: str(obj(e).key!), value: big(obj(e).value!) }))),
    ifdata: arr(o.ifdata!).map(ifdataFromJson)
  }
}

/** Console lines are raw bytes; the JSON carries them as a (UTF-8) string. */
export const dataFromJson = (j: Json): Data => {
  const o = obj(j, "data")
  const type = str(o.type!, "type")
  switch (type) {
    case "console_data":
      return { _tag: "ConsoleData", timestamp: timeFromJson(o.timestamp!), line: new TextEncoder().encode(str(o.line!)) }
    case "block_data":
      return { _tag: "BlockData", data: nullable(o.data, (d) => hexToBytes(str(d))) }
    case "stats_data":
      return { _tag: "StatsData", stats: statsFromJson(o.stats!) }
  }
  throw new Error(`unknown data type ${type}`)
}

export const headerFromJson = (j: Json): Header => {
  const o = obj(j, "header")
  return { version: num(o.version!), sequence: big(o.sequence!), name: nameFromJson(o.name!) }
}

export const wireFromJson = (j: Json): Wire => {
  const o = obj(j, "wire")
  const p = obj(o.payload!, "payload")
  const header = headerFromJson(o.header!)
  if (p.command !== undefined) return { header, payload: { _tag: "Command", command: commandFromJson(p.command) } }
  if (p.success !== undefined) return { header, payload: { _tag: "Success", success: successFromJson(p.success) } }
  if (p.failure !== undefined) return { header, payload: { _tag: "Failure", message: str(p.failure) } }
  if (p.data !== undefined) return { header, payload: { _tag: "Data", data: dataFromJson(p.data) } }
  throw new Error(`unknown payload ${JSON.stringify(p)}`)
}

export const certExtFromJson = (j: Json): CertExtension => {
  const o = obj(j, "cert_extension")
  return { version: num(o.version!), command: commandFromJson(o.command!) }
}

export const stateFromJson = (j: Json): PersistedState => {
  const o = obj(j, "state")
  return {
    unikernels: named(o.unikernels!, configFromJson).map((e) => ({ name: e.name, config: e.value })),
    policies: named(o.policies!, policyFromJson).map((e) => ({ name: e.name, policy: e.value }))
  }
}

/** The JSON of the vector files. */
export interface Vector {
  readonly name: string
  readonly description: string
  readonly kind: "wire" | "cert_extension" | "state"
  readonly direction: "roundtrip" | "decode-only" | "encode-only" | "negative"
  readonly hex: string
  readonly value?: Json
  readonly input_value?: Json
  readonly reencoded_hex?: string
  readonly note?: string
  readonly error?: string
  readonly error_kind?: "error" | "exception"
}
