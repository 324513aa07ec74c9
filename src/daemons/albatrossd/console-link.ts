/**
 * The link to albatross-console (spec §4.7): one Console_add round trip per (re)create, before
 * the tender is spawned, so the console reads the FIFO from the start.
 *
 * Deliberate fix (spec §13.3 item 13): the reference connects once at start and never again, so
 * a restarted albatross-console makes every later create fail. Here a broken link is dropped and
 * the next Console_add connects again (once per round trip; the startup connection stays mandatory).
 */
import { Data, Duration, Effect, Exit, Option, Scope } from "effect"
import type { Name } from "../../domain/name.js"
import { type Connection, connectUnix } from "../../net/connection.js"

export class ConsoleError extends Data.TaggedError("ConsoleError")<{
  readonly message: string
  /** The console answered with a Failure (the link itself is fine). */
  readonly refused?: boolean
}> {}

export interface ConsoleLink {
  /** Connect now (startup): fails with the reference's abort text when nobody listens. */
  readonly connect: Effect.Effect<void, ConsoleError>
  /** Console_add(n) for `name`; succeeds when albatross-console answered Success. */
  readonly add: (name: Name, n: bigint) => Effect.Effect<void, ConsoleError>
  readonly close: Effect.Effect<void>
}

interface Link {
  readonly conn: Connection
  readonly scope: Scope.CloseableScope
}

export const makeConsoleLink = (socketPath: string, timeout: Duration.Duration): Effect.Effect<ConsoleLink> =>
  Effect.gen(function* () {
    let link: Link | undefined
    /** Sequence numbers of Console_add start at 1 and grow with every attempt. */
    let sequence = 1n
    const lock = yield* Effect.makeSemaphore(1)

    const drop = Effect.suspend(() => {
      const old = link
      link = undefined
      return old === undefined ? Effect.void : Scope.close(old.scope, Exit.void)
    })

    const open = Effect.gen(function* () {
      const scope = yield* Scope.make()
      const conn = yield* connectUnix(socketPath, { readTimeout: timeout }).pipe(
        Scope.extend(scope),
        Effect.tapError(() => Scope.close(scope, Exit.void)),
        Effect.mapError(() => new ConsoleError({ message: `Failed to connect to ${socketPath}, is albatross-console started?` }))
      )
      link = { conn, scope }
      return conn
    })

    const roundTrip = (conn: Connection, name: Name, n: bigint, seq: bigint) =>
      Effect.gen(function* () {
        yield* conn.writeWire({
          header: { version: 5, sequence: seq, name },
          payload: { _tag: "Command", command: { _tag: "ConsoleAdd", n } }
        })
        const reply = yield* conn.readWire
        if (Option.isNone(reply)) return yield* new ConsoleError({ message: "console connection closed" })
        const { header, payload } = reply.value
        if (header.sequence !== seq) return yield* new ConsoleError({ message: "wrong sequence number received" })
        if (payload._tag === "Success") return
        if (payload._tag === "Failure") return yield* new ConsoleError({ message: payload.message, refused: true })
        return yield* new ConsoleError({ message: `unexpected reply from console: ${payload._tag}` })
      }).pipe(Effect.mapError((e) => (e instanceof ConsoleError ? e : new ConsoleError({ message: e.message }))))

    const add = (name: Name, n: bigint): Effect.Effect<void, ConsoleError> =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const seq = sequence++
          // an existing link may be dead (console restarted): one retry on a fresh connection
          if (link !== undefined && link.conn.isOpen()) {
            const first = yield* Effect.either(roundTrip(link.conn, name, n, seq))
            if (first._tag === "Right") return
            if (first.left.refused === true) return yield* first.left
            const wasAlive = link !== undefined && link.conn.isOpen()
            yield* drop
            // out of step or timed out on a live link: report; a link that died: reconnect below
            if (wasAlive) return yield* first.left
          } else {
            yield* drop
          }
          const conn = yield* open
          yield* Effect.logInfo(`connected to ${socketPath}`)
          yield* roundTrip(conn, name, n, seq).pipe(Effect.tapError(() => drop))
        })
      )

    return {
      connect: lock.withPermits(1)(Effect.asVoid(Effect.zipRight(drop, open))),
      add,
      close: drop
    }
  })
