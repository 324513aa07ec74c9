/**
 * The link to albatrossd (spec §8.1): connect to vmmd.sock, send `Stats_initial` (root name,
 * sequence 0), expect `Success Empty` with that sequence, then serve albatrossd's Stats_add /
 * Stats_remove on that connection. When an established link ends, forget all registrations
 * (albatrossd sends them again after the next Stats_initial); try again one second later, forever.
 * A failed attempt forgets nothing: registrations made on stat.sock meanwhile stay.
 */
import { Duration, Effect, Option } from "effect"
import { Name } from "../../domain/name.js"
import { connectUnix, DEFAULT_READ_TIMEOUT } from "../../net/connection.js"
import { serveCommands } from "./handler.js"
import type { Registry } from "./registry.js"

export const RECONNECT_DELAY = Duration.seconds(1)

interface Outcome {
  readonly established: boolean
  readonly why: string
}

const session = (vmmdPath: string, registry: Registry): Effect.Effect<Outcome> =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectUnix(vmmdPath, { readTimeout: DEFAULT_READ_TIMEOUT })
      yield* conn.writeWire({
        header: { version: 5, sequence: 0n, name: Name.root },
        payload: { _tag: "Command", command: { _tag: "StatsInitial" } }
      })
      const reply = yield* conn.readWire
      if (Option.isNone(reply)) return { established: false, why: "connection closed before the reply to initial" }
      const { header, payload } = reply.value
      if (!(payload._tag === "Success" && payload.success._tag === "Empty" && header.sequence === 0n))
        return {
          established: false,
          why: `issue reading from vmmd: unexpected ${payload._tag === "Failure" ? `failure ${payload.message}` : payload._tag}`
        }
      yield* Effect.logInfo(`connected to ${vmmdPath}`)
      yield* serveCommands(conn, registry, { untimed: true })
      return { established: true, why: "connection to vmmd ended" }
    })
  ).pipe(Effect.catchAll((e) => Effect.succeed({ established: false, why: `cannot connect to ${vmmdPath}: ${e.message}` })))

export const vmmdLink = (vmmdPath: string, registry: Registry): Effect.Effect<never> =>
  Effect.gen(function* () {
    let failures = 0
    for (;;) {
      const { established, why } = yield* session(vmmdPath, registry)
      if (established) {
        const had = registry.size().registrations
        yield* registry.clearRegistrations
        yield* Effect.logError(`${why}${had > 0 ? ` (forgot ${had} unikernels)` : ""}`)
        failures = 0
      } else {
        // every second forever: log the first failure of a series, the rest only when debugging
        if (failures === 0) yield* Effect.logError(why)
        else yield* Effect.logDebug(why)
        failures++
      }
      yield* Effect.sleep(RECONNECT_DELAY)
    }
  })
