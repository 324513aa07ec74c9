/**
 * GeneralizedTime exactly as albatross (asn1-combinators over Ptime) writes and reads it
 * (spec §6.5).
 *
 * Written: `YYYYMMDDHHMMSS`, then `.` and exactly three digits of milliseconds when the
 * millisecond part is non-zero, then `Z`. (The reference writes `.000` for a non-zero fraction
 * below one millisecond; a JS Date has no sub-millisecond part, so that cannot arise here.)
 *
 * Read: minutes and seconds optional; an optional fraction of one to three digits, taken as an
 * integer number of milliseconds (so `.5` is 5 ms, as in the reference); then `Z`, `+hhmm`,
 * `-hhmm`, or nothing (UTC). Dates are range-checked (2024-02-30 is an error).
 */
import type { Codec } from "./codec.js"
import { fail } from "./fault.js"

const TAG_GENERALIZED_TIME = 0x18
const MS_PER_DAY = 86_400_000
/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z. */
const MIN_MS = -62_167_219_200_000
const MAX_MS = 253_402_300_799_999

/** Days since 1970-01-01 of a proleptic Gregorian date (valid for every year 0..9999). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31

const digitsAt = (s: Uint8Array, at: number, n: number): number => {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const c = s[i]! - 0x30
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

const text = (s: Uint8Array): string => String.fromCharCode(...s.subarray(0, 64))

/** Parses the content octets of a GeneralizedTime; returns milliseconds since the epoch. */
export const parseGeneralizedTime = (s: Uint8Array): number => {
  const invalid = (): never => fail(`GeneralizedTime: invalid format: ${text(s)}`)
  const n = s.length
  if (n < 10) invalid()
  const year = digitsAt(s, 0, 4)
  const month = digitsAt(s, 4, 2)
  const day = digitsAt(s, 6, 2)
  const hour = digitsAt(s, 8, 2)
  if (year < 0 || month < 0 || day < 0 || hour < 0) invalid()
  let p = 10
  let minute = 0
  let second = 0
  let millis = 0
  const isDigit = (i: number): boolean => i < n && s[i]! >= 0x30 && s[i]! <= 0x39
  if (isDigit(p)) {
    minute = digitsAt(s, p, 2)
    if (minute < 0 || p + 2 > n) invalid()
    p += 2
    if (isDigit(p)) {
      second = digitsAt(s, p, 2)
      if (second < 0 || p + 2 > n) invalid()
      p += 2
      if (p < n && s[p] === 0x2e /* . */) {
        p++
        let digits = 0
        while (isDigit(p + digits)) digits++
        if (digits === 0 || digits > 3) invalid()
        millis = digitsAt(s, p, digits)
        p += digits
      }
    }
  }
  let offsetMinutes = 0
  if (p < n) {
    const c = s[p]!
    if (c === 0x5a /* Z */) {
      p++
    } else if (c === 0x2b /* + */ || c === 0x2d /* - */) {
      if (p + 5 !== n) invalid()
      const oh = digitsAt(s, p + 1, 2)
      const om = digitsAt(s, p + 3, 2)
      if (oh < 0 || om < 0 || oh > 23 || om > 59) fail(`GeneralizedTime: out of range: ${text(s)}`)
      offsetMinutes = (oh * 60 + om) * (c === 0x2b ? 1 : -1)
      p += 5
    } else {
      invalid()
    }
  }
  if (p !== n) invalid()
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    fail(`GeneralizedTime: out of range: ${text(s)}`)
  }
  const days = daysFromCivil(year, month, day)
  const ms = days * MS_PER_DAY + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis
  // A zone offset may move the instant out of the years 0000..9999 that can be written back.
  if (ms < MIN_MS || ms > MAX_MS) fail(`GeneralizedTime: out of range: ${text(s)}`)
  return ms
}

const pad = (v: number, n: number): string => v.toString().padStart(n, "0")

export const formatGeneralizedTime = (date: Date): string => {
  const t = date.getTime()
  if (!Number.isFinite(t)) fail("GeneralizedTime: invalid date")
  const year = date.getUTCFullYear()
  if (year < 0 || year > 9999) fail(`GeneralizedTime: year ${year} out of range`)
  const ms = date.getUTCMilliseconds()
  return (
    pad(year, 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    (ms === 0 ? "" : `.${pad(ms, 3)}`) +
    "Z"
  )
}

export const generalizedTime: Codec<Date> = {
  tags: [TAG_GENERALIZED_TIME],
  decode(r) {
    const end = r.enter(TAG_GENERALIZED_TIME, "GeneralizedTime")
    const ms = parseGeneralizedTime(r.buf.subarray(r.pos, end))
    r.pos = end
    return new Date(ms)
  },
  encode(w, date) {
    w.header(TAG_GENERALIZED_TIME, w.text(formatGeneralizedTime(date)))
  }
}
