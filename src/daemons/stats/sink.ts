/**
 * A subscriber's outgoing queue: the tick only enqueues, a writer fiber per connection
 * drains. A slow subscriber therefore never delays sampling or other subscribers; its queue is
 * bounded (the oldest messages are dropped first) so it cannot grow the daemon's memory either.
 */
import { Chunk, Effect, Either, Queue } from "effect"
import type { Wire } from "../../domain/wire.js"
import type { Connection } from "../../net/connection.js"
import { encodeWireSync } from "../../wire/index.js"
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
    // everything queued by a tick goes out in one write: one syscall per subscriber and tick
    const writer = Effect.gen(function* () {
      for (;;) {
        const first = yield* Queue.take(queue)
        const rest = yield* Queue.takeAll(queue)
        const frames: Array<Uint8Array> = []
        for (const wire of Chunk.prepend(rest, first)) {
          const encoded = encodeWireSync(wire)
          if (Either.isRight(encoded)) frames.push(encoded.right)
          else yield* Effect.logError(`cannot encode stats for ${wire.header.name.toString()}: ${encoded.left.message}`)
        }
        const written = yield* Effect.either(conn.writeFrames(frames))
        if (written._tag === "Left") {
          yield* Effect.logDebug(`removing subscriber: ${written.left.message}`)
          yield* onDead(sink)
          yield* conn.close
          return
        }
      }
    })
    yield* Effect.forkScoped(writer)
    return sink
  })
