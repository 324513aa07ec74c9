/** Data messages: statistics, console lines, block dump chunks (spec §6.6). */
import type { Data as DataT } from "../../domain/reply.js"
import type { IfData as IfDataT, KinfoMem as KinfoMemT, Rusage as RusageT, Timeval as TimevalT, VmmStat } from "../../domain/stats.js"
import {
  alternative,
  choice,
  type Codec,
  explicit,
  generalizedTime,
  implicitSequence,
  int,
  int32,
  int64,
  map,
  nul,
  octetString,
  optional,
  refused,
  sequence,
  sequenceOf,
  utf8,
  utf8Raw,
  variant
} from "../der/index.js"

/** Timeval ::= SEQUENCE { seconds Int64, microseconds INTEGER } */
export const Timeval: Codec<TimevalT> = sequence({ sec: int64, usec: int })

/** Rusage ::= SEQUENCE { utime Timeval, stime Timeval, maxrss .. nivcsw -- each Int64 } */
export const Rusage: Codec<RusageT> = sequence({
  utime: Timeval,
  stime: Timeval,
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

/** KinfoMem ::= SEQUENCE { vsize, rss, tsize, dsize, ssize, runtime -- Int64, cow INTEGER, start Timeval },
 *  carried as `[1] IMPLICIT KinfoMem` (tag byte A1 replaces 30). */
const kinfoMemFields = {
  vsize: int64,
  rss: int64,
  tsize: int64,
  dsize: int64,
  ssize: int64,
  runtime: int64,
  cow: int,
  start: Timeval
}
export const KinfoMemImplicit1: Codec<KinfoMemT> = implicitSequence(1, kinfoMemFields)

/** IfData ::= SEQUENCE { bridge UTF8String, flags, send-length, max-send-length, send-drops, mtu -- int32,
 *    baudrate, input-packets, .. output-dropped -- each Int64 } */
export const IfData: Codec<IfDataT> = sequence({
  bridge: utf8,
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

const VmmStats: Codec<ReadonlyArray<VmmStat>> = sequenceOf(sequence({ key: utf8, value: int64 }))

/** stats [1] SEQUENCE { rusage Rusage, ifdata SEQUENCE OF IfData,
 *    vmm [0] SEQUENCE OF SEQUENCE { key UTF8String, value Int64 } OPTIONAL,
 *    kinfo-mem [1] IMPLICIT KinfoMem OPTIONAL } */
const StatsBody = sequence({
  rusage: Rusage,
  ifdata: sequenceOf(IfData),
  vmm: optional(explicit(0, VmmStats)),
  kinfoMem: optional(KinfoMemImplicit1)
})

/** block [4] CHOICE { some [0] OCTET STRING, eof [1] NULL } */
const BlockChunk: Codec<Uint8Array | null> = choice<Uint8Array | null>("BlockChunk", [
  alternative("some", map(explicit(0, octetString), (d): Uint8Array | null => d, (d) => d!), (d) => d !== null),
  alternative("eof", map(explicit(1, nul), () => null, () => null), (d) => d === null)
])

/** Data ::= CHOICE { stats [1] .., log [2] NULL -- rejected,
 *    console [3] SEQUENCE { timestamp GeneralizedTime, line UTF8String }, block [4] BlockChunk } */
export const Data: Codec<DataT> = choice<DataT>("Data", [
  variant(
    "stats",
    explicit(1, StatsBody),
    "StatsData",
    (s) => ({ _tag: "StatsData", stats: { rusage: s.rusage, kinfoMem: s.kinfoMem, vmm: s.vmm, ifdata: s.ifdata } }),
    (d) => ({ rusage: d.stats.rusage, ifdata: d.stats.ifdata, vmm: d.stats.vmm, kinfoMem: d.stats.kinfoMem })
  ),
  refused("log", explicit(2, nul), "support for log was dropped"),
  variant(
    "console",
    explicit(3, sequence({ timestamp: generalizedTime, line: utf8Raw })),
    "ConsoleData",
    (c) => ({ _tag: "ConsoleData", timestamp: c.timestamp, line: c.line }),
    (d) => ({ timestamp: d.timestamp, line: d.line })
  ),
  variant("block", explicit(4, BlockChunk), "BlockData", (data) => ({ _tag: "BlockData", data }), (d) => d.data)
])
