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
import { fromDuplex } from "../../net/connection.js"
import type { Certificate } from "../../tls/certs.js"
import { authorize } from "./authorize.js"
import { forward, type ForwardOptions } from "./forward.js"

export interface SessionOptions extends ForwardOptions {
  readonly ca: Certificate
  /** Longest wait for data from the client (image or block chunks). */
  readonly idleTimeout: Duration.DurationInput
  /** Largest frame accepted from the client. */
  readonly maxFrame: number
}

export const serveSession = (socket: tls.TLSSocket, options: SessionOptions): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* fromDuplex(socket, { maxFrame: options.maxFrame, readTimeout: options.idleTimeout })
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
      const { name, version, command } = authority.right
      yield* Effect.logDebug(`${name.display()} ${command._tag}`)
      const payload = yield* forward(conn, authority.right, options)
      yield* Effect.ignore(conn.writeWire({ header: { version, sequence: 0n, name }, payload }))
      yield* conn.close
    })
  ).pipe(Effect.catchAllDefect((defect) => Effect.logError(`error while handling a session: ${String(defect)}`)))
