/**
 * albatross-influx (spec §9.1): subscribe at albatross-stats for a name, turn every stats
 * message into line protocol and deliver it.
 *
 * The two sides are decoupled by a bounded queue: the reader keeps reading the subscription
 * while the line-protocol server is away (so albatross-stats never sees a stuck subscriber),
 * and the deliverer retries with backoff, keeping the newest batches. Either side reconnects
 * on its own without disturbing the other: the subscription survives influx outages, and
 * influx delivery resumes after albatross-stats restarts (with a new subscription).
 */
import * as path from "node:path"
import { Chunk, Effect, Option, Queue } from "effect"
import type { Name } from "../../domain/name.js"
import { connectUnix } from "../../net/connection.js"
import { millis, nextDelay } from "./backoff.js"
import { statsToLines, vmTag } from "./line-protocol.js"
import type { LineWriter } from "./writer.js"

export interface InfluxOptions {
  readonly tmpdir: string
  /** What to subscribe to (root = everything). */
  readonly name: Name
  readonly noDropPath: boolean
  readonly writer: LineWriter
  /** Batches kept while the server is unreachable; the oldest are dropped beyond. */
  readonly queueCapacity?: number
  /** Seconds since the epoch, for `uptime` (tests fix it). */
  readonly now?: () => number
}

/** Batches merged into one write once the server is reachable again. */
const MAX_MERGED = 1000

const deliver = (writer: LineWriter, queue: Queue.Queue<string>): Effect.Effect<never> =>
  Effect.gen(function* () {
    let delay: number | undefined
    for (;;) {
      const first = yield* Queue.take(queue)
      const rest = yield* Queue.takeUpTo(queue, MAX_MERGED - 1)
      const lines = Chunk.isEmpty(rest) ? first : first + Chunk.join(rest, "")
      for (;;) {
        const r = yield* Effect.either(writer.write(lines))
        if (r._tag === "Right") {
          if (delay !== undefined) yield* Effect.logInfo(`writing to ${writer.describe} again`)
          delay = undefined
          break
        }
        if (r.left.permanent) {
          yield* Effect.logError(`${r.left.message}; dropping ${lines.length} bytes`)
          break
        }
        if (delay === undefined) yield* Effect.logError(`${r.left.message}, retrying`)
        else yield* Effect.logDebug(r.left.message)
        yield* writer.reset
        delay = nextDelay(delay)
        yield* Effect.sleep(millis(delay))
      }
    }
  })

/** One subscription: returns (with the reason) when the stats socket ends. */
const subscription = (options: InfluxOptions, socket: string, sequence: bigint, queue: Queue.Queue<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectUnix(socket)
      yield* conn.writeWire({
        header: { version: 5, sequence, name: options.name },
        payload: { _tag: "Command", command: { _tag: "StatsSubscribe" } }
      })
      yield* Effect.logInfo(`subscribed to ${options.name.toString()} at ${socket}`)
      const now = options.now ?? (() => Date.now() / 1000)
      for (;;) {
        const next = yield* conn.readWireUntimed
        if (Option.isNone(next)) return "stats socket closed"
        const { header, payload } = next.value
        if (payload._tag === "Data" && payload.data._tag === "StatsData") {
          const vm = vmTag(header.name, options.noDropPath)
          yield* Queue.offer(queue, statsToLines(vm, payload.data.stats, now()))
        } else if (payload._tag === "Failure") {
          yield* Effect.logWarning(`albatross-stats: ${payload.message}`)
        } else {
          yield* Effect.logDebug(`ignoring ${payload._tag} for ${header.name.toString()}`)
        }
      }
    })
  )

export const runInflux = (options: InfluxOptions): Effect.Effect<never> =>
  Effect.scoped(
    Effect.gen(function* () {
      const queue = yield* Queue.sliding<string>(options.queueCapacity ?? 10_000)
      yield* Effect.forkScoped(deliver(options.writer, queue))
      yield* Effect.addFinalizer(() => options.writer.close)
      const socket = path.join(options.tmpdir, "util", "stat.sock")
      let sequence = 1n
      let delay: number | undefined
      for (;;) {
        const r = yield* Effect.either(subscription(options, socket, sequence++, queue))
        const why = r._tag === "Right" ? r.right : r.left.message
        // a subscription that delivered resets the backoff; a refused connection grows it
        if (r._tag === "Right") delay = undefined
        if (delay === undefined) yield* Effect.logWarning(`${why}; connecting again`)
        else yield* Effect.logDebug(why)
        delay = nextDelay(delay)
        yield* Effect.sleep(millis(delay))
      }
    })
  )
