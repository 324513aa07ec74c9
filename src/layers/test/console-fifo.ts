/**
 * In-memory console FIFOs for tests: a test creates a FIFO, writes chunks (each chunk is one
 * read of the reader) and closes it (the unikernel exited). Opening a FIFO that was not
 * created fails like a missing file.
 */
import { Effect, Layer, Option, Queue, Stream } from "effect"
import { ConsoleFifo, FifoError } from "../../services/console-fifo.js"

type Item = Uint8Array | "end"

export interface TestFifos {
  /** Makes `path` exist (as mkfifo would); a second create gives a fresh FIFO. */
  readonly create: (path: string) => Effect.Effect<void>
  /** One read's worth of data for the current reader of `path`. */
  readonly write: (path: string, data: Uint8Array | string) => Effect.Effect<void>
  /** The writer closes: the reader sees the end. */
  readonly close: (path: string) => Effect.Effect<void>
  /** How many times `path` was opened. */
  readonly opens: (path: string) => number
}

export const makeTestFifos = Effect.gen(function* () {
  const fifos = new Map<string, Queue.Queue<Item>>()
  const openCount = new Map<string, number>()
  const queueOf = (path: string) =>
    Effect.suspend(() => {
      const q = fifos.get(path)
      return q === undefined ? Effect.dieMessage(`test FIFO ${path} was not created`) : Effect.succeed(q)
    })
  const fifos_: TestFifos = {
    create: (path) =>
      Effect.map(Queue.unbounded<Item>(), (q) => {
        fifos.set(path, q)
      }),
    write: (path, data) =>
      Effect.flatMap(queueOf(path), (q) => Queue.offer(q, typeof data === "string" ? new TextEncoder().encode(data) : data)),
    close: (path) => Effect.flatMap(queueOf(path), (q) => Queue.offer(q, "end")),
    opens: (path) => openCount.get(path) ?? 0
  }
  const layer = Layer.succeed(ConsoleFifo, {
    open: (path) =>
      Effect.suspend(() => {
        const q = fifos.get(path)
        if (q === undefined) return Effect.fail(new FifoError({ path, message: "ENOENT" }))
        openCount.set(path, (openCount.get(path) ?? 0) + 1)
        return Effect.succeed(
          Stream.repeatEffectOption(
            Effect.flatMap(Queue.take(q), (item) => (item === "end" ? Effect.fail(Option.none()) : Effect.succeed(item)))
          )
        )
      })
  })
  return { fifos: fifos_, layer }
})
