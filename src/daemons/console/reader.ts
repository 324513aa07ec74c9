/**
 * The reader of one console FIFO (spec §7.3): lines go into the ring and, framed once, to
 * every subscriber's queue. All lines of one read share one timestamp (the wall clock, Effect's
 * `Clock`, so tests can set it). When the FIFO ends the console becomes inactive.
 *
 * The FIFO is an Effect Stream (with backpressure: a reader that falls behind leaves the data in
 * the pipe); each subscriber has an Effect Queue drained by its own fiber. A PubSub with replay
 * was considered for history and fan-out, but `since` queries need the timestamps of the whole
 * history, the history outlives every subscriber (and restarts), and each subscriber needs its
 * own byte bound and loss count, so the ring and the per-subscriber queues are explicit.
 */
import { Clock, Effect, Stream } from "effect"
import type { FifoError } from "../../services/console-fifo.js"
import { consoleFrames, encodeTimestamp } from "./frames.js"
import { LineReader } from "./line-reader.js"
import type { ConsoleEntry, ConsoleRegistry } from "./registry.js"

/** Handles one read: returns the number of lines it held. */
export const deliverRead = (entry: ConsoleEntry, reader: LineReader, now: number, chunk: Uint8Array): number => {
  const lines = reader.push(chunk)
  if (lines.length === 0) return 0
  entry.linesRead += lines.length
  const ring = entry.ring
  if (ring !== undefined) for (const line of lines) ring.push(now, line)
  const subscribers = entry.subscribers
  if (subscribers.length > 0) {
    const frames = consoleFrames(entry.header, encodeTimestamp(now), lines)
    for (const sub of subscribers) sub.offer(frames, lines.length)
  }
  return lines.length
}

export const runReader = (
  registry: ConsoleRegistry,
  entry: ConsoleEntry,
  readerId: number,
  name: string,
  chunks: Stream.Stream<Uint8Array, FifoError>
): Effect.Effect<void> => {
  const reader = new LineReader()
  return chunks.pipe(
    Stream.runForEach((chunk) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => deliverRead(entry, reader, now, chunk)))
    ),
    Effect.zipRight(Effect.logDebug(`${name}: end of file while reading`)),
    Effect.catchAll((e) => Effect.logError(`${name}: error while reading: ${e.message}`)),
    Effect.ensuring(Effect.sync(() => registry.readerEnded(entry, readerId)))
  )
}
