/**
 * A subscriber's outgoing queue: the tick only hands over the framed messages it encoded for
 * this subscriber (one batch per tick), a writer fiber per connection writes them, everything
 * pending in one write. A slow subscriber therefore never delays sampling or other subscribers;
 * its queue is bounded (the oldest messages are dropped first) so it cannot grow the daemon's
 * memory either.
 */
import { Effect, Queue } from "effect"
import type { Connection } from "../../net/connection.js"
import type { SubscriberSink } from "./registry.js"

/** Messages kept for one subscriber that does not read: several ticks' worth for a large host. */
export const SINK_CAPACITY = 4096

let nextId = 1

/** Framed messages waiting for the writer: `bytes` from `offset` on holds `count` frames. */
interface Pending {
  bytes: Uint8Array
  offset: number
  count: number
}

/** Skips the first frame of `p` (length prefix, then that many bytes). */
const dropFirstFrame = (p: Pending): void => {
  const b = p.bytes
  const o = p.offset
  const length = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0
  p.offset = o + 4 + length
  p.count--
}

/**
 * A sink writing to `conn`. `onDead` runs once when a write fails; the writer fiber lives in
 * the caller's scope.
 */
export const makeSink = (conn: Connection, onDead: (sink: SubscriberSink) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const pending: Array<Pending> = []
    let queued = 0
    // wakes the writer: at most one wake-up pending, the writer takes everything there is
    const wake = yield* Queue.dropping<true>(1)
    const sink: SubscriberSink = {
      id: nextId++,
      sendFrames: (bytes, count) => {
        if (count === 0) return
        pending.push({ bytes, offset: 0, count })
        queued += count
        while (queued > SINK_CAPACITY) {
          const head = pending[0]!
          dropFirstFrame(head)
          queued--
          if (head.count === 0) pending.shift()
        }
        Queue.unsafeOffer(wake, true)
      },
      close: conn.close
    }
    const writer = Effect.gen(function* () {
      for (;;) {
        yield* Queue.take(wake)
        if (pending.length === 0) continue
        const parts = pending.splice(0, pending.length)
        queued = 0
        const bytes =
          parts.length === 1 ? parts[0]!.bytes.subarray(parts[0]!.offset) : Buffer.concat(parts.map((p) => p.bytes.subarray(p.offset)))
        const written = yield* Effect.either(conn.writeFramed(bytes))
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
