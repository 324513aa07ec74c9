/**
 * The link to albatrossd (spec §8.1): connect to vmmd.sock, send `Stats_initial` (root name,
 * sequence 0), expect `Success Empty` with that sequence, then serve albatrossd's Stats_add /
 * Stats_remove on that connection. When it ends, forget all registrations (albatrossd sends
 * them again after the next Stats_initial) and try again one second later, forever.
 */
import { Duration, Effect, Option } from "effect"
import { Name } from "../../domain/name.js"
import { connectUnix, DEFAULT_READ_TIMEOUT } from "../../net/connection.js"
import { serveCommands } from "./handler.js"
import type { Registry } from "./registry.js"

export const RECONNECT_DELAY = Duration.seconds(1)

const session = (vmmdPath: string, registry: Registry): Effect.Effect<string> =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectUnix(vmmdPath, { readTimeout: DEFAULT_READ_TIMEOUT })
      yield* conn.writeWire({
        header: { version: 5, sequence: 0n, name: Name.root },
        payload: { _tag: "Command", command: { _tag: "StatsInitial" } }
      })
      const reply = yield* conn.readWire
      if (Option.isNone(reply)) return "connection closed before the reply to initial"
      const { header, payload } = reply.value
      if (!(payload._tag === "Success" && payload.success._tag === "Empty" && header.sequence === 0n))
        return `issue reading from vmmd: unexpected ${payload._tag === "Failure" ? `failure ${payload.message}` : payload._tag}`
      yield* Effect.logInfo(`connected to ${vmmdPath}`)
      yield* serveCommands(conn, registry, { untimed: true })
      return "connection to vmmd ended"
    })
  ).pipe(Effect.catchAll((e) => Effect.succeed(`cannot connect to ${vmmdPath}: ${e.message}`)))

export const vmmdLink = (vmmdPath: string, registry: Registry): Effect.Effect<never> =>
  Effect.gen(function* () {
    let failures = 0
    for (;;) {
      const why = yield* session(vmmdPath, registry)
      const had = registry.size().registrations
      yield* registry.clearRegistrations
      // every second forever: log the first failure of a series, the rest only when debugging
      if (failures === 0 || why.startsWith("connection to vmmd ended")) yield* Effect.logError(`${why}${had > 0 ? ` (forgot ${had} unikernels)` : ""}`)
      else yield* Effect.logDebug(why)
      failures = why.startsWith("cannot connect") ? failures + 1 : 0
      yield* Effect.sleep(RECONNECT_DELAY)
    }
  })
