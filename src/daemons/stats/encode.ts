/**
 * The sampling tick's messages, `Data(Stats_data …)` (spec §6.6, §8.3), encoded straight into
 * bytes: the same DER the generic codec (`encodeWireSync`) writes, byte for byte
 * (test/stats/encode.test.ts holds the two equal), without its per-field combinator calls and
 * per-message buffers. This runs for every subscribed unikernel on every tick.
 *
 * The stats part (the payload) is encoded once per unikernel and tick, whatever the number of
 * subscribers; the header, which carries the name relative to the subscriber, is encoded once
 * per registration and subscriber path and kept (`encodeStatsHeader`). A message is then copied,
 * length prefix included, into the subscriber's batch for the tick (`FrameBatch`), which goes
 * out in one socket write.
 *
 * Anything the fast path does not handle (a value outside what the generic codec accepts, a
 * non-ASCII interface or VMM counter name) makes `encodeStatsPayload` return -1: the caller
 * then encodes that message with the generic codec, which produces the same bytes or the same
 * error.
 */
import type { Header } from "../../domain/wire.js"
import type { IfData, Rusage, Stats, Timeval, VmmStat } from "../../domain/stats.js"
import { encodeAll } from "../../wire/der/index.js"
import { Header as HeaderCodec } from "../../wire/grammar/wire.js"

const TAG_INTEGER = 0x02
const TAG_OCTET_STRING = 0x04
const TAG_UTF8 = 0x0c
const TAG_SEQUENCE = 0x30

/** Thrown inside the fast path for anything it leaves to the generic codec. */
const FALLBACK = { fallback: true }

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const INT64_MAX = 0x7fffffffffffffffn
const INT64_MIN = -0x8000000000000000n
const TWO_32 = 4294967296

/** The payload is written backwards (content before its length) at the end of this buffer. */
let buf = new Uint8Array(4096)
let pos = buf.length

const room = (n: number): void => {
  if (pos >= n) return
  const used = buf.length - pos
  let cap = buf.length * 2
  while (cap < used + n) cap *= 2
  const next = new Uint8Array(cap)
  next.set(buf.subarray(pos), cap - used)
  buf = next
  pos = cap - used
}

/** Identifier and DER length in front of `length` content bytes already written. */
const header = (tag: number, length: number): void => {
  room(6)
  if (length < 0x80) {
    buf[--pos] = length
  } else {
    let n = 0
    let l = length
    while (l > 0) {
      buf[--pos] = l & 0xff
      l = Math.floor(l / 256)
      n++
    }
    buf[--pos] = 0x80 | n
  }
  buf[--pos] = tag
}

/** Int64: OCTET STRING of 8 bytes, big-endian two's complement. */
const int64 = (n: bigint): void => {
  let hi: number, lo: number
  if (n >= 0n && n <= MAX_SAFE) {
    const x = Number(n)
    lo = x % TWO_32
    hi = (x - lo) / TWO_32
  } else if (n <= INT64_MAX && n >= INT64_MIN) {
    lo = Number(BigInt.asUintN(32, n))
    hi = Number(BigInt.asUintN(32, n >> 32n))
  } else {
    throw FALLBACK
  }
  room(10)
  const b = buf
  let p = pos
  b[--p] = lo & 0xff
  b[--p] = (lo >>> 8) & 0xff
  b[--p] = (lo >>> 16) & 0xff
  b[--p] = lo >>> 24
  b[--p] = hi & 0xff
  b[--p] = (hi >>> 8) & 0xff
  b[--p] = (hi >>> 16) & 0xff
  b[--p] = hi >>> 24
  b[--p] = 8
  b[--p] = TAG_OCTET_STRING
  pos = p
}

/** INTEGER in the int32 range (the `int` and `int32` fields as the tick fills them). */
const int32 = (n: number): void => {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw FALLBACK
  room(6)
  const start = pos
  let v = n | 0
  for (;;) {
    const b = v & 0xff
    buf[--pos] = b
    v >>= 8
    if ((v === 0 && b < 0x80) || (v === -1 && b >= 0x80)) break
  }
  header(TAG_INTEGER, start - pos)
}

/** UTF8String of an ASCII string. */
const ascii = (s: string): void => {
  const n = s.length
  room(n)
  const start = pos - n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) throw FALLBACK
    buf[start + i] = c
  }
  pos = start
  header(TAG_UTF8, n)
}

const timeval = (t: Timeval): void => {
  const end = pos
  int32(t.usec)
  int64(t.sec)
  header(TAG_SEQUENCE, end - pos)
}

const rusage = (r: Rusage): void => {
  const end = pos
  int64(r.nivcsw)
  int64(r.nvcsw)
  int64(r.nsignals)
  int64(r.msgrcv)
  int64(r.msgsnd)
  int64(r.outblock)
  int64(r.inblock)
  int64(r.nswap)
  int64(r.majflt)
  int64(r.minflt)
  int64(r.isrss)
  int64(r.idrss)
  int64(r.ixrss)
  int64(r.maxrss)
  timeval(r.stime)
  timeval(r.utime)
  header(TAG_SEQUENCE, end - pos)
}

const ifData = (d: IfData): void => {
  const end = pos
  int64(d.outputDropped)
  int64(d.inputDropped)
  int64(d.outputMcast)
  int64(d.inputMcast)
  int64(d.outputBytes)
  int64(d.inputBytes)
  int64(d.collisions)
  int64(d.outputErrors)
  int64(d.outputPackets)
  int64(d.inputErrors)
  int64(d.inputPackets)
  int64(d.baudrate)
  int32(d.mtu)
  int32(d.sendDrops)
  int32(d.maxSendLength)
  int32(d.sendLength)
  int32(d.flags)
  ascii(d.bridge)
  header(TAG_SEQUENCE, end - pos)
}

const vmmStats = (list: ReadonlyArray<VmmStat>): void => {
  const end = pos
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i]!
    const e = pos
    int64(s.value)
    ascii(s.key)
    header(TAG_SEQUENCE, e - pos)
  }
  header(TAG_SEQUENCE, end - pos)
}

/**
 * Encodes the payload of `Data(Stats_data stats)`, i.e. `[3] { [1] { SEQUENCE { rusage, ifdata,
 * vmm [0] OPTIONAL, kinfo-mem [1] IMPLICIT OPTIONAL } } }`, and returns its length; the bytes
 * are `payloadBytes(length)` until the next call. -1: use the generic codec for this message.
 */
export const encodeStatsPayload = (stats: Stats): number => {
  pos = buf.length
  try {
    const k = stats.kinfoMem
    if (k !== null) {
      const end = pos
      timeval(k.start)
      int32(k.cow)
      int64(k.runtime)
      int64(k.ssize)
      int64(k.dsize)
      int64(k.tsize)
      int64(k.rss)
      int64(k.vsize)
      header(0xa1, end - pos)
    }
    if (stats.vmm !== null) {
      const end = pos
      vmmStats(stats.vmm)
      header(0xa0, end - pos)
    }
    const ifEnd = pos
    for (let i = stats.ifdata.length - 1; i >= 0; i--) ifData(stats.ifdata[i]!)
    header(TAG_SEQUENCE, ifEnd - pos)
    rusage(stats.rusage)
    const bodyLength = buf.length - pos
    header(TAG_SEQUENCE, bodyLength)
    header(0xa1, buf.length - pos)
    header(0xa3, buf.length - pos)
    return buf.length - pos
  } catch (e) {
    if (e === FALLBACK) return -1
    throw e
  }
}

/** The payload `encodeStatsPayload` just wrote. */
export const payloadBytes = (length: number): Uint8Array => buf.subarray(buf.length - length)

/** A message header { version, sequence, name } as the generic codec writes it (cached by the caller). */
export const encodeStatsHeader = (h: Header): Uint8Array => encodeAll(HeaderCodec, h, 256).slice()

/** DER length octets of `n` (the outer SEQUENCE of a message). */
const lengthOctets = (n: number): number => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5)

/**
 * The framed messages of one subscriber in one tick: length prefix, then the message, one after
 * the other in one buffer that grows as needed.
 */
export class FrameBatch {
  private bytes: Buffer
  private length = 0
  /** Messages in the batch. */
  count = 0

  constructor(initialCapacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(64, initialCapacity))
  }

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return
    let cap = this.bytes.length * 2
    while (cap < this.length + n) cap *= 2
    const next = Buffer.allocUnsafe(cap)
    this.bytes.copy(next, 0, 0, this.length)
    this.bytes = next
  }

  /** One message: `SEQUENCE { header, payload }` with its 4-byte length prefix. */
  addMessage(head: Uint8Array, payload: Uint8Array): void {
    const content = head.length + payload.length
    const outer = 1 + lengthOctets(content) + content
    this.room(4 + outer)
    const b = this.bytes
    let p = this.length
    b.writeInt32BE(outer, p)
    p += 4
    b[p++] = TAG_SEQUENCE
    if (content < 0x80) {
      b[p++] = content
    } else {
      const n = lengthOctets(content) - 1
      b[p++] = 0x80 | n
      for (let i = n - 1; i >= 0; i--) b[p++] = Math.floor(content / 2 ** (8 * i)) & 0xff
    }
    b.set(head, p)
    p += head.length
    b.set(payload, p)
    this.length = p + payload.length
    this.count++
  }

  /** A message already encoded (by the generic codec), framed. */
  addEncoded(message: Uint8Array): void {
    this.room(4 + message.length)
    this.bytes.writeInt32BE(message.length, this.length)
    this.bytes.set(message, this.length + 4)
    this.length += 4 + message.length
    this.count++
  }

  /** The framed messages (a view of the batch's buffer; the batch is not used afterwards). */
  frames(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }
}
