/**
 * The TLS side of remote mode (spec §11.3 step 7): connect to the endpoint presenting the
 * leaf and its CA chain, authenticate the server against `--server-ca` (no host name check,
 * as the reference), TLS 1.3 only.
 */
import * as tls from "node:tls"
import { Data, Effect, type Scope } from "effect"
import { type Connection, type ConnectionOptions, fromDuplex } from "../../net/connection.js"

export class RemoteConnectError extends Data.TaggedError("RemoteConnectError")<{
  /** connect = TCP failed; local-auth = the server's certificate was refused; remote-auth = the server refused ours. */
  readonly kind: "connect" | "local-auth" | "remote-auth"
  readonly message: string
}> {}

export interface RemoteTarget {
  readonly host: string
  readonly port: number
  /** PEM: leaf first, then the CA chain. */
  readonly certChainPem: string
  readonly keyPem: string
  /** PEM of the CA(s) the server certificate must lead to. */
  readonly serverCaPem: string
}

const classify = (err: NodeJS.ErrnoException): RemoteConnectError["kind"] => {
  const code = err.code ?? ""
  if (code.startsWith("ERR_SSL_TLSV1_ALERT") || code.startsWith("ERR_SSL_SSLV3_ALERT")) return "remote-auth"
  if (code.includes("CERT") || code.includes("VERIFY") || code.includes("SELF_SIGNED") || code.includes("ISSUER")) return "local-auth"
  return "connect"
}

export const connectRemote = (
  target: RemoteTarget,
  options: ConnectionOptions = {}
): Effect.Effect<Connection, RemoteConnectError, Scope.Scope> =>
  Effect.flatMap(
    Effect.async<tls.TLSSocket, RemoteConnectError>((resume) => {
      const socket = tls.connect({
        host: target.host,
        port: target.port,
        cert: target.certChainPem,
        key: target.keyPem,
        ca: target.serverCaPem,
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
        checkServerIdentity: () => undefined
      })
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy()
        resume(Effect.fail(new RemoteConnectError({ kind: classify(err), message: err.message })))
      }
      socket.once("error", onError)
      socket.once("secureConnect", () => {
        socket.off("error", onError)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => fromDuplex(socket, options)
  )
