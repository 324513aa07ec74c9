/**
 * A subscriber's outgoing queue: the tick only enqueues, a writer fiber per connection
 * drains. A slow subscriber therefore never delays sampling or other subscribers; its queue is
 * bounded (the oldest messages are dropped first) so it cannot grow the daemon's memory either.
 */
import { Effect, Queue } from "effect"
import type { Wire } from "../../domain/wire.js"
import type { Connection } from "../../net/connection.js"
import type { SubscriberSink } from "./registry.js"

/** Messages kept for one subscriber that does not read: several ticks' worth for a large host. */
export const SINK_CAPACITY = 4096

let nextId = 1

/**
 * A sink writing to `conn`. `onDead` runs once when a write fails; the writer fiber lives in
 * the caller's scope.
 */
export const makeSink = (conn: Connection, onDead: (sink: SubscriberSink) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const queue = yield* Queue.sliding<Wire>(SINK_CAPACITY)
    const sink: SubscriberSink = {
      id: nextId++,
      send: (wire) => void Queue.unsafeOffer(queue, wire),
      close: conn.close
    }
    const writer = Effect.gen(function* () {
      for (;;) {
        const wire = yield* Queue.take(queue)
        const written = yield* Effect.either(conn.writeWire(wire))
        if (written._tag === "Left") {
          yield* Effect.logDebug(`removing subscriber ${wire.header.name.toString()}: ${written.left.message}`)
          yield* onDead(sink)
          yield* conn.close
          return
        }
      }
    })
    yield* Effect.forkScoped(writer)
    return sink
  })
