/**
 * Pure parsers for the FreeBSD interface source (spec §8.3): `ifconfig <tap>` for flags and
 * MTU, `netstat -I <tap> -b -d -n -W` (its `<Link#n>` row) for the counters.
 */
import { Either } from "effect"
import type { IfData } from "../../domain/stats.js"

/** First line of `ifconfig tap0`: `tap0: flags=1008943<UP,...> metric 0 mtu 1500`. */
export const parseIfconfig = (output: string): Either.Either<{ flags: number; mtu: number }, string> => {
  const m = /flags=([0-9a-fA-F]+)<[^>]*>.*\bmtu (\d+)/.exec(output.split("\n")[0] ?? "")
  if (m === null) return Either.left(`ifconfig: unexpected output ${JSON.stringify(output.split("\n")[0] ?? "")}`)
  return Either.right({ flags: Number.parseInt(m[1]!, 16) | 0, mtu: Number(m[2]) | 0 })
}

const COLUMNS = ["Ipkts", "Ierrs", "Idrop", "Ibytes", "Opkts", "Oerrs", "Obytes", "Coll", "Drop"] as const
type Column = (typeof COLUMNS)[number]

/**
 * The link-level row of `netstat -I <tap> -b -d -n -W`. The Address column is empty for
 * interfaces without a link address, so values are matched to the header from the right.
 */
export const parseNetstatLink = (output: string, tap: string): Either.Either<Record<Column, bigint>, string> => {
  const lines = output.split("\n").filter((l) => l.trim() !== "")
  const header = lines[0]?.trim().split(/\s+/) ?? []
  const row = lines.find((l) => {
    const t = l.trim().split(/\s+/)
    return t[0] === tap && (t[2] ?? "").startsWith("<Link#")
  })
  if (row === undefined) return Either.left(`netstat: no link row for ${tap}`)
  const values = row.trim().split(/\s+/)
  const out = {} as Record<Column, bigint>
  for (const c of COLUMNS) {
    const fromRight = header.length - header.indexOf(c)
    const v = header.indexOf(c) === -1 ? undefined : values[values.length - fromRight]
    if (v === undefined || !/^\d+$/.test(v)) return Either.left(`netstat: no ${c} for ${tap}`)
    out[c] = BigInt(v)
  }
  return Either.right(out)
}

export const freebsdIfData = (tap: string, ifconfig: string, netstat: string): Either.Either<IfData, string> =>
  Either.gen(function* () {
    const { flags, mtu } = yield* parseIfconfig(ifconfig)
    const c = yield* parseNetstatLink(netstat, tap)
    return {
      bridge: tap,
      flags,
      // not printed by netstat/ifconfig: reported as 0 (docs/COMPATIBILITY.md)
      sendLength: 0,
      maxSendLength: 0,
      sendDrops: 0,
      mtu,
      baudrate: 0n,
      inputPackets: c.Ipkts,
      inputErrors: c.Ierrs,
      outputPackets: c.Opkts,
      outputErrors: c.Oerrs,
      collisions: c.Coll,
      inputBytes: c.Ibytes,
      outputBytes: c.Obytes,
      inputMcast: 0n,
      outputMcast: 0n,
      inputDropped: c.Idrop,
      outputDropped: c.Drop
    }
  })
