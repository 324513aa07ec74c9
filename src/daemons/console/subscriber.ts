/**
 * One live console subscriber: a connection plus a bounded queue of framed lines, drained by
 * its own fiber. The FIFO reader only appends to the queue and never waits for a subscriber,
 * so a slow or stuck subscriber delays neither the reader nor the other subscribers (the
 * reference awaited every subscriber's write before reading on).
 *
 * The queue is bounded in bytes, per subscriber and over all subscribers together. When a read's lines do not fit, that subscriber **loses
 * them** (it stays connected and gets later lines once it has caught up); the lines are
 * counted, the first loss of a run is logged, and the total is logged when it leaves.
 * History and the subscribe reply are always queued (they are bounded by the ring size).
 */
import { Effect, Queue, Runtime, type Scope } from "effect"
import type { Connection } from "../../net/connection.js"

/**
 * Default bound of bytes queued for one subscriber: about 80,000 lines of 60 bytes, a quarter of
 * a second of a console writing 320,000 lines/s (enough to ride out a scheduling stall of the
 * subscriber on a loaded host; 2 MiB was not, see BENCHMARKS.md).
 */
export const DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024

/** Default bound of bytes queued for all subscribers together. */
export const DEFAULT_TOTAL_QUEUE_BYTES = 256 * 1024 * 1024

/** Bytes queued over all subscribers, against a daemon-wide bound. */
export class QueueBudget {
  used = 0
  constructor(readonly max: number = DEFAULT_TOTAL_QUEUE_BYTES) {}
}

interface Batch {
  readonly frames: Uint8Array
}

export interface Subscriber {
  readonly id: number
  /** Queues the frames of `lines` lines (one buffer); false if they were dropped. */
  readonly offer: (frames: Uint8Array, lines: number) => boolean
  /** Queues frames regardless of the bound (reply and history). */
  readonly offerAlways: (frames: Uint8Array) => void
  /** Lines this subscriber lost because it was not keeping up. */
  readonly lost: () => number
  /** Bytes waiting to be written. */
  readonly queuedBytes: () => number
  /** Closes the connection (the subscriber's handler then ends). */
  readonly close: Effect.Effect<void>
}

let nextId = 1

/** A subscriber on `conn`; its writer fiber lives in the current scope. */
export const makeSubscriber = (
  conn: Connection,
  label: string,
  maxQueuedBytes: number = DEFAULT_QUEUE_BYTES,
  onLost: (lines: number) => void = () => {},
  budget: QueueBudget = new QueueBudget()
): Effect.Effect<Subscriber, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<Batch>()
    let queued = 0
    let lost = 0
    let losing = false
    /** Set when the subscriber is gone: the accounting was settled. */
    let done = false
    const id = nextId++
    const runtime = yield* Effect.runtime<never>()

    const writer = Effect.gen(function* () {
      for (;;) {
        const batches = yield* Queue.takeBetween(queue, 1, 64)
        for (const batch of batches) {
          yield* conn.writeFramed(batch.frames)
          if (done) return
          queued -= batch.frames.length
          budget.used -= batch.frames.length
        }
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logDebug(`console subscriber ${id} of ${label}: ${e.message}`)),
      Effect.ensuring(conn.close)
    )
    yield* Effect.forkScoped(writer)
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Effect.zipRight(
          Effect.sync(() => {
            // what was never written no longer counts against the daemon's budget
            done = true
            budget.used -= queued
            queued = 0
          }),
          Queue.shutdown(queue)
        ),
        lost > 0 ? Effect.logWarning(`console subscriber ${id} of ${label} lost ${lost} lines in total`) : Effect.void
      )
    )

    const subscriber: Subscriber = {
      id,
      offer: (frames, lines) => {
        const full = queued + frames.length > maxQueuedBytes || budget.used + frames.length > budget.max
        if (full && queued > 0) {
          lost += lines
          onLost(lines)
          if (!losing) {
            losing = true
            Runtime.runFork(runtime)(Effect.logWarning(`console subscriber ${id} of ${label} is not keeping up, losing lines`))
          }
          return false
        }
        losing = false
        queued += frames.length
        budget.used += frames.length
        Queue.unsafeOffer(queue, { frames })
        return true
      },
      offerAlways: (frames) => {
        queued += frames.length
        budget.used += frames.length
        Queue.unsafeOffer(queue, { frames })
      },
      lost: () => lost,
      queuedBytes: () => queued,
      close: conn.close
    }
    return subscriber
  })
