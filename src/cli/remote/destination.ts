/** `--destination HOST[:PORT]` (spec §11.1): the last `:` component is the port when there are two or more. */
import { Either } from "effect"
import type { KeyType } from "../../tls/key-types.js"

export const DEFAULT_PORT = 1025

export interface RemoteDestination {
  readonly _tag: "Remote"
  /** `-` prints the certificate chain instead of connecting. */
  readonly host: string
  readonly port: number
  /** `--ca`: the signing CA certificate, possibly followed by its chain. */
  readonly ca: string
  readonly caKey: string
  readonly serverCa: string
  readonly keyType: KeyType
}

export const parseHostPort = (s: string): Either.Either<{ host: string; port: number }, string> => {
  const parts = s.split(":")
  if (parts.length < 2) return s === "" ? Either.left("empty host") : Either.right({ host: s, port: DEFAULT_PORT })
  const portText = parts[parts.length - 1]!
  const host = parts.slice(0, -1).join(":")
  const port = Number(portText)
  if (!/^[0-9]+$/.test(portText) || port > 65535) return Either.left(`invalid port ${portText}`)
  if (host === "") return Either.left("empty host")
  return Either.right({ host, port })
}
