/**
 * The command loop of albatross-stats, used for its own socket and for the link to albatrossd
 * (spec §8.2): Stats_add / Stats_remove / Stats_subscribe answered with `Success(String …)`,
 * anything else with a `Failure` and the end of the connection.
 */
import { Effect, Option } from "effect"
import type { Connection } from "../../net/connection.js"
import { failure, successString, UNKNOWN_REQUEST_HEADER } from "../../wire/reply.js"
import type { Registry, SubscriberSink } from "./registry.js"
import { makeSink } from "./sink.js"

export interface ServeOptions {
  /** The link to albatrossd: it may stay silent for as long as no unikernel starts or stops. */
  readonly untimed?: boolean
}

export const serveCommands = (conn: Connection, registry: Registry, options: ServeOptions = {}): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function* () {
      let sink: SubscriberSink | undefined
      const getSink = Effect.suspend(() =>
        sink !== undefined
          ? Effect.succeed(sink)
          : Effect.tap(makeSink(conn, registry.dropSink), (s) =>
              Effect.sync(() => {
                sink = s
              })
            )
      )
      yield* Effect.addFinalizer(() => (sink === undefined ? conn.close : Effect.zipRight(registry.dropSink(sink), conn.close)))
      for (;;) {
        // a subscriber waits for our data, not the other way round: no read timeout once subscribed
        const read = yield* Effect.either(options.untimed === true || sink !== undefined ? conn.readWireUntimed : conn.readWire)
        if (read._tag === "Left") {
          const err = read.left
          yield* Effect.logWarning(`stats connection: ${err.message}`)
          if (err.reason === "too-large" || err.reason === "decode" || err.reason === "timeout")
            yield* Effect.ignore(conn.writeWire(failure(UNKNOWN_REQUEST_HEADER, err.message)))
          return
        }
        if (Option.isNone(read.right)) return
        const wire = read.right.value
        const { header, payload } = wire
        if (payload._tag !== "Command") {
          yield* Effect.logError(`unexpected wire from ${header.name.toString()}: ${payload._tag}`)
          yield* Effect.ignore(conn.writeWire(failure(header, "unexpected command")))
          return
        }
        const cmd = payload.command
        switch (cmd._tag) {
          case "StatsInitial":
            yield* Effect.logWarning("unexpected message initial")
            yield* Effect.ignore(conn.writeWire(failure(header, "unexpected message initial")))
            return
          case "StatsAdd":
            yield* registry.add(header.name, cmd.vmmdev, cmd.pid, cmd.taps)
            if ((yield* Effect.either(conn.writeWire(successString(header, "added"))))._tag === "Left") return
            break
          case "StatsRemove":
            yield* registry.remove(header.name)
            if ((yield* Effect.either(conn.writeWire(successString(header, "removed"))))._tag === "Left") return
            break
          case "StatsSubscribe": {
            // the reply goes out before the subscription exists, so it precedes every data message
            if ((yield* Effect.either(conn.writeWire(successString(header, "subscribed"))))._tag === "Left") return
            const s = yield* getSink
            yield* registry.subscribe(header.name, header.version, s)
            yield* Effect.logInfo(`subscription for ${header.name.toString()}`)
            break
          }
          default:
            yield* Effect.logError(`unexpected command ${cmd._tag} from ${header.name.toString()}`)
            yield* Effect.ignore(conn.writeWire(failure(header, "unexpected command")))
            return
        }
      }
    })
  )
