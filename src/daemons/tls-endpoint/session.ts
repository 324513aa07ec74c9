/**
 * One client session on an established TLS connection: authorise, forward, answer, close.
 *
 * Deliberate difference: a refused request gets a `Failure` with the reason before the close
 * (the reference closes silently, and its client then exits 0 as if all went well).
 */
import type * as tls from "node:tls"
import { Duration, Effect, Either } from "effect"
import { Name } from "../../domain/name.js"
import { PROTOCOL_VERSION } from "../../domain/wire.js"
import { type Connection, fromDuplex } from "../../net/connection.js"
import type { Certificate } from "../../tls/certs.js"
import type { Authority } from "../../tls/peer-chain.js"
import { authorize } from "./authorize.js"
import { forward, type ForwardOptions } from "./forward.js"

export interface SessionOptions extends ForwardOptions {
  readonly ca: Certificate
  /** Longest wait for data from the client (image or block chunks). */
  readonly idleTimeout: Duration.DurationInput
  /** Largest frame accepted from the client. */
  readonly maxFrame: number
}

const answer = (conn: Connection, authority: Authority, options: SessionOptions): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { name, version, command } = authority
    yield* Effect.logDebug(`${name.display()} ${command._tag}`)
    const payload = yield* forward(conn, authority, options)
    yield* Effect.ignore(conn.writeWire({ header: { version, sequence: 0n, name }, payload }))
    yield* conn.close
  })

const framed = (socket: tls.TLSSocket, options: SessionOptions) =>
  fromDuplex(socket, { maxFrame: options.maxFrame, readTimeout: options.idleTimeout })

const onDefect = Effect.catchAllDefect((defect) => Effect.logError(`error while handling a session: ${String(defect)}`))

/** A session whose authority is decided already (direct.ts hands the streaming commands over). */
export const serveAuthorized = (socket: tls.TLSSocket, authority: Authority, options: SessionOptions): Effect.Effect<void> =>
  Effect.scoped(Effect.flatMap(framed(socket, options), (conn) => answer(conn, authority, options))).pipe(onDefect)

/** A whole session: authorise, forward, answer, close. */
export const serveSession = (socket: tls.TLSSocket, options: SessionOptions): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* framed(socket, options)
      const authority = yield* Effect.either(authorize(socket, options.ca))
      if (Either.isLeft(authority)) {
        yield* Effect.logError(`failed to handle TLS connection ${authority.left}`)
        yield* Effect.ignore(
          conn.writeWire({
            header: { version: PROTOCOL_VERSION, sequence: 0n, name: Name.root },
            payload: { _tag: "Failure", message: authority.left }
          })
        )
        return yield* conn.close
      }
      yield* answer(conn, authority.right, options)
    })
  ).pipe(onDefect)
