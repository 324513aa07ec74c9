/**
 * A framed connection over any Node duplex socket (Unix, TCP, TLS), as Effects.
 *
 * Written on node:net directly rather than @effect/platform's Socket: the protocol is
 * request/reply with framed reads that need a per-read timeout, a size limit checked on the
 * length prefix, and raw chunk streams interleaved with DER messages; a pull-style reader
 * over a bounded queue expresses that with less machinery than the push-style Socket.run.
 */
import * as net from "node:net"
import type * as tls from "node:tls"
import { Data, Deferred, Duration, Effect, Either, Option, type Scope } from "effect"
import type { Wire } from "../domain/wire.js"
import { FrameDecoder, framePrefix, END_OF_STREAM, MAX_FRAME_DEFAULT } from "../wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../wire/index.js"

export type ConnectionErrorReason = "closed" | "timeout" | "too-large" | "io" | "decode"

export class ConnectionError extends Data.TaggedError("ConnectionError")<{
  readonly reason: ConnectionErrorReason
  readonly message: string
}> {}

export interface ConnectionOptions {
  /** Largest frame accepted; checked on the length prefix, before allocating. */
  readonly maxFrame?: number
  /** Longest wait for one frame by `readFrame`/`readWire`. Default 5 minutes. */
  readonly readTimeout?: Duration.DurationInput
}

export const DEFAULT_READ_TIMEOUT: Duration.DurationInput = Duration.minutes(5)

export interface Connection {
  /** Next frame; `None` at the end (a length <= 0 frame, or the peer closed). */
  readonly readFrame: Effect.Effect<Option.Option<Uint8Array>, ConnectionError>
  /** As `readFrame`, without the read timeout (subscribers that wait for their peer's last word). */
  readonly readFrameUntimed: Effect.Effect<Option.Option<Uint8Array>, ConnectionError>
  /** Next frame of a raw chunk stream (spec §6.3): `None` on the zero-length frame; the peer closing first is an error. */
  readonly readChunk: Effect.Effect<Option.Option<Uint8Array>, ConnectionError>
  /** Next message; `None` at the end. An undecodable frame fails with reason "decode". */
  readonly readWire: Effect.Effect<Option.Option<Wire>, ConnectionError>
  readonly readWireUntimed: Effect.Effect<Option.Option<Wire>, ConnectionError>
  readonly writeFrame: (payload: Uint8Array) => Effect.Effect<void, ConnectionError>
  /** Several frames in one corked write (one syscall): for senders of many small messages at once. */
  readonly writeFrames: (payloads: ReadonlyArray<Uint8Array>) => Effect.Effect<void, ConnectionError>
  /** Bytes that are already frames (length prefixes included), written as they are, in one write. */
  readonly writeFramed: (frames: Uint8Array) => Effect.Effect<void, ConnectionError>
  readonly writeWire: (wire: Wire) => Effect.Effect<void, ConnectionError>
  /** The zero-length frame that ends a raw chunk stream. */
  readonly writeEnd: Effect.Effect<void, ConnectionError>
  /** Flush what was written, then close. */
  readonly close: Effect.Effect<void>
  /** Completes when the socket is closed, by either side. */
  readonly closed: Effect.Effect<void>
  /** Whether the socket is still open. */
  readonly isOpen: () => boolean
}

type Item =
  | { readonly _tag: "frame"; readonly frame: Uint8Array | null }
  | { readonly _tag: "end"; readonly error: ConnectionError }

/** Frames buffered before the socket is paused: bounds memory held for a fast sender. */
const HIGH_WATER_FRAMES = 64

export const fromDuplex = (
  socket: net.Socket | tls.TLSSocket,
  options: ConnectionOptions = {}
): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const maxFrame = options.maxFrame ?? MAX_FRAME_DEFAULT
    const timeout = Duration.decode(options.readTimeout ?? DEFAULT_READ_TIMEOUT)
    const timeoutMillis = Duration.toMillis(timeout)
    const decoder = new FrameDecoder(maxFrame)
    const closedSignal = yield* Deferred.make<void>()
    // Frames not yet read, the end once the socket is done, and the reader waiting for either.
    // A plain buffer and one callback rather than an Effect Queue raced against a timeout: every
    // request pays for its reads, and the race forked two fibers per read (BENCHMARKS.md,
    // albatrossd).
    const frames: Array<Uint8Array | null> = []
    // why the connection ended; its ConnectionError is made only when a reader asks (an Error
    // captures a stack trace, and most connections end with nobody reading: after the reply)
    let terminal: { readonly reason: ConnectionErrorReason; readonly message: string } | undefined
    let terminalError: ConnectionError | undefined
    const endItem = (): Item => {
      terminalError ??= new ConnectionError(terminal!)
      return { _tag: "end", error: terminalError }
    }
    let waiting: ((item: Item) => void) | undefined
    let open = true
    let paused = false

    const deliver = (item: Item): boolean => {
      const w = waiting
      if (w === undefined) return false
      waiting = undefined
      w(item)
      return true
    }
    const finish = (reason: ConnectionErrorReason, message: string) => {
      if (terminal !== undefined) return
      terminal = { reason, message }
      if (frames.length === 0 && waiting !== undefined) deliver(endItem())
    }

    socket.on("data", (chunk: Buffer) => {
      if (terminal !== undefined) return
      for (const frame of decoder.push(chunk)) if (frames.length > 0 || !deliver({ _tag: "frame", frame })) frames.push(frame)
      if (decoder.error !== undefined) {
        finish("too-large", decoder.error.message)
        socket.pause()
        return
      }
      if (!paused && frames.length >= HIGH_WATER_FRAMES) {
        paused = true
        socket.pause()
      }
    })
    socket.on("end", () => finish("closed", "connection closed by peer"))
    socket.on("error", (err) => finish("io", err.message))
    socket.on("close", () => {
      open = false
      finish("closed", "connection closed")
      Deferred.unsafeDone(closedSignal, Effect.void)
    })

    /** The next frame, or the end (every read after the end sees the same end). */
    const take = (timed: boolean): Effect.Effect<Item> =>
      Effect.suspend(() => {
        if (frames.length > 0) {
          const frame = frames.shift()!
          if (paused && terminal === undefined && frames.length < HIGH_WATER_FRAMES / 2) {
            paused = false
            socket.resume()
          }
          return Effect.succeed<Item>({ _tag: "frame", frame })
        }
        if (terminal !== undefined) return Effect.succeed<Item>(endItem())
        return Effect.async<Item>((resume) => {
          let timer: ReturnType<typeof setTimeout> | undefined
          const reader = (item: Item) => {
            if (timer !== undefined) clearTimeout(timer)
            resume(Effect.succeed(item))
          }
          waiting = reader
          if (timed && Number.isFinite(timeoutMillis)) {
            timer = setTimeout(() => {
              if (waiting === reader) waiting = undefined
              resume(
                Effect.succeed<Item>({
                  _tag: "end",
                  error: new ConnectionError({ reason: "timeout", message: `no data received within ${Duration.format(timeout)}` })
                })
              )
            }, timeoutMillis)
          }
          // interrupted while waiting
          return Effect.sync(() => {
            if (waiting === reader) waiting = undefined
            if (timer !== undefined) clearTimeout(timer)
          })
        })
      })

    const readFrameWith = (timed: boolean) =>
      Effect.flatMap(take(timed), (item): Effect.Effect<Option.Option<Uint8Array>, ConnectionError> => {
        if (item._tag === "frame") return Effect.succeed(Option.fromNullable(item.frame))
        return item.error.reason === "closed" ? Effect.succeed(Option.none()) : Effect.fail(item.error)
      })

    const decode = (frame: Option.Option<Uint8Array>): Effect.Effect<Option.Option<Wire>, ConnectionError> => {
      if (Option.isNone(frame)) return Effect.succeed(Option.none())
      const decoded = decodeWireSync(frame.value)
      return Either.isRight(decoded)
        ? Effect.succeed(Option.some(decoded.right))
        : Effect.fail(new ConnectionError({ reason: "decode", message: decoded.left.message }))
    }

    const write = (parts: ReadonlyArray<Uint8Array>): Effect.Effect<void, ConnectionError> =>
      Effect.async<void, ConnectionError>((resume) => {
        if (!open || socket.destroyed || socket.writableEnded) {
          resume(Effect.fail(new ConnectionError({ reason: "closed", message: "write on a closed connection" })))
          return
        }
        socket.cork()
        let ok = true
        for (const part of parts) ok = socket.write(part) && ok
        socket.uncork()
        if (ok) {
          resume(Effect.void)
          return
        }
        // wait for the kernel to take the data: a slow peer slows its writer, nothing else
        const onDrain = () => {
          socket.off("close", onClose)
          resume(Effect.void)
        }
        const onClose = () => {
          socket.off("drain", onDrain)
          resume(Effect.fail(new ConnectionError({ reason: "closed", message: "connection closed while writing" })))
        }
        socket.once("drain", onDrain)
        socket.once("close", onClose)
      })

    const writeFrame = (payload: Uint8Array) => write([framePrefix(payload.length), payload])
    const writeFrames = (payloads: ReadonlyArray<Uint8Array>) =>
      write(payloads.flatMap((p) => [framePrefix(p.length), p]))

    const close = Effect.sync(() => {
      if (socket.destroyed) return
      socket.end(() => socket.destroy())
      // a peer that never reads must not keep us waiting for the flush
      setTimeout(() => socket.destroy(), 2000).unref()
    })

    yield* Effect.addFinalizer(() => close)

    const connection: Connection = {
      readFrame: readFrameWith(true),
      readFrameUntimed: readFrameWith(false),
      readChunk: Effect.flatMap(take(true), (item) => {
        if (item._tag === "frame") return Effect.succeed(Option.fromNullable(item.frame))
        return Effect.fail(
          item.error.reason === "closed"
            ? new ConnectionError({ reason: "closed", message: "connection closed before the end of the data stream" })
            : item.error
        )
      }),
      readWire: Effect.flatMap(readFrameWith(true), decode),
      readWireUntimed: Effect.flatMap(readFrameWith(false), decode),
      writeFrame,
      writeFrames,
      writeFramed: (frames) => write([frames]),
      writeWire: (wire) => {
        const encoded = encodeWireSync(wire)
        return Either.isRight(encoded)
          ? writeFrame(encoded.right)
          : Effect.fail(new ConnectionError({ reason: "decode", message: `encoding failed: ${encoded.left.message}` }))
      },
      writeEnd: write([END_OF_STREAM]),
      close,
      closed: Deferred.await(closedSignal),
      isOpen: () => open && !socket.destroyed
    }
    return connection
  })

/** Connect to a daemon's Unix socket; the connection is closed with the scope. */
export const connectUnix = (
  path: string,
  options: ConnectionOptions = {}
): Effect.Effect<Connection, ConnectionError, Scope.Scope> =>
  Effect.flatMap(
    Effect.async<net.Socket, ConnectionError>((resume) => {
      const socket = net.createConnection({ path })
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy()
        resume(Effect.fail(new ConnectionError({ reason: "io", message: `connect ${path}: ${err.code ?? err.message}` })))
      }
      socket.once("error", onError)
      socket.once("connect", () => {
        socket.off("error", onError)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => fromDuplex(socket, options)
  )
