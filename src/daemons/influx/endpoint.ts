/** `--influx HOST[:PORT]` (default port 8094, telegraf's socket_listener): `1.2.3.4:8094`, `[::1]:8094`, `::1`, `host`. */
import { Either } from "effect"

export interface HostPort {
  readonly host: string
  readonly port: number
}

export const DEFAULT_INFLUX_PORT = 8094

const port = (s: string): number | undefined => {
  if (!/^\d{1,5}$/.test(s)) return undefined
  const n = Number(s)
  return n >= 1 && n <= 65535 ? n : undefined
}

export const parseHostPort = (s: string, defaultPort = DEFAULT_INFLUX_PORT): Either.Either<HostPort, string> => {
  const bad = Either.left(`invalid host and port ${JSON.stringify(s)} (expected HOST[:PORT])`)
  if (s.startsWith("[")) {
    const m = /^\[([0-9a-fA-F:.]+)\](?::(.*))?$/.exec(s)
    if (m === null) return bad
    const p = m[2] === undefined ? defaultPort : port(m[2])
    return p === undefined ? bad : Either.right({ host: m[1]!, port: p })
  }
  const colons = s.split(":").length - 1
  if (colons > 1) return /^[0-9a-fA-F:.]+$/.test(s) ? Either.right({ host: s, port: defaultPort }) : bad
  const [host, p] = s.split(":") as [string, string | undefined]
  if (host === "" || /\s/.test(host)) return bad
  const pn = p === undefined ? defaultPort : port(p)
  return pn === undefined ? bad : Either.right({ host, port: pn })
}
