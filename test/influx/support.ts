/** A stand-in albatross-stats for the albatross-influx tests: counts subscriptions and sends stats messages on demand. */
import * as path from "node:path"
import { Effect, Option, Queue, type Scope } from "effect"
import type { Name } from "../../src/domain/name.js"
import type { Stats } from "../../src/domain/stats.js"
import type { Connection } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"
import { successString } from "../../src/wire/reply.js"

export interface Subscription {
  readonly conn: Connection
  readonly name: Name
  readonly sequence: bigint
}

export const standInStats = (dir: string): Effect.Effect<Queue.Queue<Subscription>, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const subscriptions = yield* Queue.unbounded<Subscription>()
    yield* serveUnix({ path: path.join(dir, "util", "stat.sock") }, (conn) =>
      Effect.gen(function* () {
        const first = yield* conn.readWire
        if (Option.isNone(first)) return
        const { header, payload } = first.value
        if (payload._tag !== "Command" || payload.command._tag !== "StatsSubscribe") return
        yield* conn.writeWire(successString(header, "subscribed"))
        yield* Queue.offer(subscriptions, { conn, name: header.name, sequence: header.sequence })
        yield* conn.closed
      }).pipe(Effect.ignore)
    )
    return subscriptions
  })

export const sendStats = (s: Subscription, name: Name, stats: Stats) =>
  s.conn.writeWire({
    header: { version: 5, sequence: 0n, name },
    payload: { _tag: "Data", data: { _tag: "StatsData", stats } }
  })
