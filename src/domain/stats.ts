/** Per-unikernel statistics as carried by `Data(Stats_data)` (spec §6.6, §8.3). */
import { Schema } from "effect"

export const Timeval = Schema.Struct({ sec: Schema.BigIntFromSelf, usec: Schema.Number })
export type Timeval = typeof Timeval.Type

const int64 = Schema.BigIntFromSelf

export const Rusage = Schema.Struct({
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
export type Rusage = typeof Rusage.Type

export const KinfoMem = Schema.Struct({
  vsize: int64,
  rss: int64,
  tsize: int64,
  dsize: int64,
  ssize: int64,
  runtime: int64,
  cow: Schema.Number,
  start: Timeval
})
export type KinfoMem = typeof KinfoMem.Type

export const IfData = Schema.Struct({
  /** Carries the unikernel-side interface name (named `bridge` for wire compatibility). */
  bridge: Schema.String,
  flags: Schema.Number,
  sendLength: Schema.Number,
  maxSendLength: Schema.Number,
  sendDrops: Schema.Number,
  mtu: Schema.Number,
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
export type IfData = typeof IfData.Type

export const VmmStat = Schema.Struct({ key: Schema.String, value: int64 })
export type VmmStat = typeof VmmStat.Type

export const Stats = Schema.Struct({
  rusage: Rusage,
  kinfoMem: Schema.NullOr(KinfoMem),
  vmm: Schema.NullOr(Schema.Array(VmmStat)),
  ifdata: Schema.Array(IfData)
})
export type Stats = typeof Stats.Type
