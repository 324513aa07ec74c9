/**
 * fast-check arbitraries for the domain values the wire codec carries, in canonical form:
 * sets sorted as the codec keeps them (int sets ascending; SET OF elements in DER order), so
 * that decode(encode(v)) is exactly v.
 */
import fc from "fast-check"
import type { Command } from "../../src/domain/command.js"
import { Name } from "../../src/domain/name.js"
import type { Policy } from "../../src/domain/policy.js"
import type { Data, Success } from "../../src/domain/reply.js"
import type { IfData, Rusage, Stats, Timeval } from "../../src/domain/stats.js"
import type { BlockInfo, BlockSpec, FailBehaviour, NetInfo, NetSpec, UnikernelArguments, UnikernelConfig, UnikernelInfo } from "../../src/domain/unikernel.js"
import type { CertExtension, PersistedState, Wire } from "../../src/domain/wire.js"
import { type Codec, compareBytes, encodeAll } from "../../src/wire/der/index.js"
import { BlockSpec as BlockSpecCodec, NetSpec as NetSpecCodec } from "../../src/wire/grammar/common.js"
import { BlockInfo as BlockInfoCodec, NetInfo as NetInfoCodec } from "../../src/wire/grammar/success.js"

/** SET OF order: ascending by the elements' DER encodings. */
const derSorted = <A>(codec: Codec<A>) => (xs: ReadonlyArray<A>): ReadonlyArray<A> =>
  xs
    .map((x) => ({ x, der: encodeAll(codec, x) }))
    .sort((a, b) => compareBytes(a.der, b.der))
    .map((e) => e.x)

const intSet = (max = 64) =>
  fc.uniqueArray(fc.integer({ min: -1000, max: 100_000 }), { maxLength: max }).map((xs) => [...xs].sort((a, b) => a - b))

export const text = fc.string({ unit: "grapheme", maxLength: 40 })
const safeInt = fc.maxSafeInteger()
const ocamlInt = fc.bigInt({ min: -(1n << 62n), max: (1n << 62n) - 1n })
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
const int32 = fc.integer()
const bytes = fc.uint8Array({ maxLength: 64 })
const macString = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"))
/** Every millisecond of years 0000 to 9999 (what GeneralizedTime can carry). */
export const date = fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }).map((ms) => new Date(ms))

const label = fc
  .tuple(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789."), fc.string({ unit: fc.constantFrom(..."abcxyz019.-"), maxLength: 62 }))
  .map(([first, rest]) => first + rest)
export const name = fc
  .tuple(fc.array(label, { maxLength: 4 }), fc.option(label, { nil: null }))
  .map(([path, l]) => Name.of(path, l))

export const failBehaviour: fc.Arbitrary<FailBehaviour> = fc.oneof(
  fc.constant<FailBehaviour>({ _tag: "Quit" }),
  fc.option(intSet(8).filter((xs) => xs.length > 0), { nil: null }).map((exitCodes): FailBehaviour => ({ _tag: "Restart", exitCodes }))
)

export const policy: fc.Arbitrary<Policy> = fc.record({
  unikernels: ocamlInt,
  cpuids: intSet(),
  memory: safeInt,
  block: fc.option(safeInt, { nil: null }),
  bridges: fc.uniqueArray(text, { maxLength: 6 }).map((xs) => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
})

const blockSpec: fc.Arbitrary<BlockSpec> = fc.record({
  name: text,
  device: fc.option(text, { nil: null }),
  sectorSize: fc.option(safeInt, { nil: null })
})
const netSpec: fc.Arbitrary<NetSpec> = fc.record({
  netif: text,
  bridge: fc.option(text, { nil: null }),
  mac: fc.option(macString, { nil: null })
})

const argumentFields = {
  failBehaviour,
  startup: fc.option(safeInt, { nil: null }),
  addName: fc.boolean(),
  cpuids: intSet(),
  memory: safeInt,
  blockDevices: fc.array(blockSpec, { maxLength: 4 }).map(derSorted(BlockSpecCodec)),
  bridges: fc.array(netSpec, { maxLength: 4 }).map(derSorted(NetSpecCodec)),
  argv: fc.option(fc.array(text, { maxLength: 5 }), { nil: null }),
  numcpus: safeInt,
  linuxBootPartition: fc.option(text, { nil: null })
}

export const unikernelArguments: fc.Arbitrary<UnikernelArguments> = fc.record(argumentFields)
export const unikernelConfig: fc.Arbitrary<UnikernelConfig> = fc.record({
  typ: fc.constantFrom("solo5" as const, "bhyve" as const),
  compressed: fc.boolean(),
  image: bytes,
  ...argumentFields
})

const blockInfo: fc.Arbitrary<BlockInfo> = fc.record({ unikernelDevice: text, hostDevice: text, sectorSize: safeInt, size: safeInt })
const netInfo: fc.Arbitrary<NetInfo> = fc.record({ unikernelDevice: text, hostDevice: text, mac: macString })

const infoFields = {
  typ: fc.constantFrom("solo5" as const, "bhyve" as const),
  failBehaviour,
  startup: fc.option(safeInt, { nil: null }),
  cpuids: intSet(),
  memory: safeInt,
  blockDevices: fc.array(blockInfo, { maxLength: 3 }).map(derSorted(BlockInfoCodec)),
  bridges: fc.array(netInfo, { maxLength: 3 }).map(derSorted(NetInfoCodec)),
  argv: fc.option(fc.array(text, { maxLength: 5 }), { nil: null }),
  digest: bytes,
  started: date,
  numcpus: safeInt,
  linuxBootPartition: fc.option(text, { nil: null })
}
export const unikernelInfo: fc.Arbitrary<UnikernelInfo> = fc.record(infoFields)
/** What the old info forms can carry: one cpuid, one CPU, no linux boot partition. */
const oldInfo = (withStartup: boolean): fc.Arbitrary<UnikernelInfo> =>
  fc.record({
    ...infoFields,
    startup: withStartup ? infoFields.startup : fc.constant(null),
    cpuids: fc.integer({ min: 0, max: 255 }).map((c) => [c]),
    numcpus: fc.constant(1),
    linuxBootPartition: fc.constant(null)
  })

const tagged = <T extends { readonly _tag: string }>(t: T): fc.Arbitrary<T> => fc.constant(t)

export const command: fc.Arbitrary<Command> = fc.oneof(
  ocamlInt.map((n): Command => ({ _tag: "ConsoleAdd", n })),
  date.map((since): Command => ({ _tag: "ConsoleSubscribe", query: { _tag: "Since", since } })),
  ocamlInt.map((count): Command => ({ _tag: "ConsoleSubscribe", query: { _tag: "Count", count } })),
  tagged<Command>({ _tag: "ConsoleListInactive" }),
  fc
    .record({ vmmdev: text, pid: safeInt, taps: fc.array(fc.record({ bridge: text, tap: text }), { maxLength: 3 }) })
    .map((a): Command => ({ _tag: "StatsAdd", ...a })),
  tagged<Command>({ _tag: "StatsRemove" }),
  tagged<Command>({ _tag: "StatsSubscribe" }),
  tagged<Command>({ _tag: "StatsInitial" }),
  tagged<Command>({ _tag: "UnikernelInfo" }),
  tagged<Command>({ _tag: "OldUnikernelInfo4" }),
  tagged<Command>({ _tag: "OldUnikernelInfo5" }),
  tagged<Command>({ _tag: "UnikernelDestroy" }),
  unikernelConfig.map((config): Command => ({ _tag: "UnikernelCreate", config })),
  unikernelConfig.map((config): Command => ({ _tag: "UnikernelForceCreate", config })),
  fc.option(unikernelArguments, { nil: null }).map((args): Command => ({ _tag: "UnikernelRestart", args })),
  safeInt.map((level): Command => ({ _tag: "UnikernelGet", level })),
  tagged<Command>({ _tag: "PolicyInfo" }),
  policy.map((p): Command => ({ _tag: "PolicyAdd", policy: p })),
  tagged<Command>({ _tag: "PolicyRemove" }),
  tagged<Command>({ _tag: "BlockInfo" }),
  safeInt.map((size): Command => ({ _tag: "BlockAdd", size })),
  tagged<Command>({ _tag: "BlockRemove" }),
  fc.boolean().map((compressed): Command => ({ _tag: "BlockSet", compressed })),
  safeInt.map((level): Command => ({ _tag: "BlockDump", level })),
  fc
    .record({ size: safeInt, compressed: fc.boolean(), data: fc.option(bytes, { nil: null }) })
    .map((a): Command => ({ _tag: "OldBlockAdd", ...a })),
  fc.record({ compressed: fc.boolean(), data: bytes }).map((a): Command => ({ _tag: "OldBlockSet", ...a })),
  safeInt.map((level): Command => ({ _tag: "OldBlockDump", level }))
)

const namedInfos = (info: fc.Arbitrary<UnikernelInfo>) => fc.array(fc.record({ name, info }), { maxLength: 3 })

export const success: fc.Arbitrary<Success> = fc.oneof(
  tagged<Success>({ _tag: "Empty" }),
  text.map((message): Success => ({ _tag: "String", message })),
  fc.array(fc.record({ name, policy }), { maxLength: 3 }).map((policies): Success => ({ _tag: "Policies", policies })),
  namedInfos(unikernelInfo).map((unikernels): Success => ({ _tag: "UnikernelInfo", unikernels })),
  namedInfos(oldInfo(false)).map((unikernels): Success => ({ _tag: "OldUnikernelInfo4", unikernels })),
  namedInfos(oldInfo(true)).map((unikernels): Success => ({ _tag: "OldUnikernelInfo5", unikernels })),
  fc.record({ compressed: fc.boolean(), image: bytes }).map((i): Success => ({ _tag: "UnikernelImage", ...i })),
  fc
    .array(fc.record({ name, size: safeInt, active: fc.boolean() }), { maxLength: 3 })
    .map((blockDevices): Success => ({ _tag: "BlockDevices", blockDevices })),
  fc.boolean().map((compressed): Success => ({ _tag: "BlockDeviceImage", compressed })),
  fc.record({ compressed: fc.boolean(), image: bytes }).map((i): Success => ({ _tag: "OldBlockDeviceImage", ...i })),
  fc.array(name, { maxLength: 4 }).map((consoles): Success => ({ _tag: "Consoles", consoles }))
)

/** The values a stats message is made of; the tick encoder's tests weigh them towards the edges. */
export interface StatsValues {
  readonly int64: fc.Arbitrary<bigint>
  /** 32-bit fields, and the microseconds and cow counts the grammar holds as native integers */
  readonly int32: fc.Arbitrary<number>
  readonly small: fc.Arbitrary<number>
  readonly text: fc.Arbitrary<string>
  readonly maxVmm: number
  readonly maxInterfaces: number
}

export const statsOf = (v: StatsValues): fc.Arbitrary<Stats> => {
  const { int64, int32 } = v
  const timeval: fc.Arbitrary<Timeval> = fc.record({ sec: int64, usec: v.small })
  const rusage: fc.Arbitrary<Rusage> = fc.record({
    utime: timeval,
    stime: timeval,
    maxrss: int64,
    ixrss: int64,
    idrss: int64,
    isrss: int64,
    minflt: int64,
    majflt: int64,
    nswap: int64,
    inblock: int64,
    outblock: int64,
    msgsnd: int64,
    msgrcv: int64,
    nsignals: int64,
    nvcsw: int64,
    nivcsw: int64
  })
  const ifdata: fc.Arbitrary<IfData> = fc.record({
    bridge: v.text,
    flags: int32,
    sendLength: int32,
    maxSendLength: int32,
    sendDrops: int32,
    mtu: int32,
    baudrate: int64,
    inputPackets: int64,
    inputErrors: int64,
    outputPackets: int64,
    outputErrors: int64,
    collisions: int64,
    inputBytes: int64,
    outputBytes: int64,
    inputMcast: int64,
    outputMcast: int64,
    inputDropped: int64,
    outputDropped: int64
  })
  return fc.record({
    rusage,
    kinfoMem: fc.option(
      fc.record({ vsize: int64, rss: int64, tsize: int64, dsize: int64, ssize: int64, runtime: int64, cow: v.small, start: timeval }),
      { nil: null }
    ),
    vmm: fc.option(fc.array(fc.record({ key: v.text, value: int64 }), { maxLength: v.maxVmm }), { nil: null }),
    ifdata: fc.array(ifdata, { maxLength: v.maxInterfaces })
  })
}

export const stats: fc.Arbitrary<Stats> = statsOf({ int64, int32, small: safeInt, text, maxVmm: 4, maxInterfaces: 2 })

export const data: fc.Arbitrary<Data> = fc.oneof(
  fc.record({ timestamp: date, line: bytes }).map((c): Data => ({ _tag: "ConsoleData", ...c })),
  fc.option(bytes, { nil: null }).map((d): Data => ({ _tag: "BlockData", data: d })),
  stats.map((s): Data => ({ _tag: "StatsData", stats: s }))
)

export const wire: fc.Arbitrary<Wire> = fc.record({
  header: fc.record({ version: fc.constant(5), sequence: int64, name }),
  payload: fc.oneof(
    command.map((c) => ({ _tag: "Command" as const, command: c })),
    success.map((s) => ({ _tag: "Success" as const, success: s })),
    text.map((message) => ({ _tag: "Failure" as const, message })),
    data.map((d) => ({ _tag: "Data" as const, data: d }))
  )
})

export const certExtension: fc.Arbitrary<CertExtension> = command.map((c) => ({ version: 5, command: c }))

/** Unique trie keys, in trie pre-order (what decodeState returns). */
const trieEntries = <E extends { readonly name: Name }>(arb: fc.Arbitrary<E>) =>
  fc.uniqueArray(arb, { maxLength: 6, selector: (e) => e.name.key().join("\u0000") }).map((es) =>
    [...es].sort((a, b) => {
      const ka = a.name.key()
      const kb = b.name.key()
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1
      return ka.length - kb.length
    })
  )

export const persistedState: fc.Arbitrary<PersistedState> = fc.record({
  unikernels: trieEntries(fc.record({ name, config: unikernelConfig })),
  policies: trieEntries(fc.record({ name, policy }))
})
