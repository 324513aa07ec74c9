/**
 * One command against a local daemon (spec §11, `connect_local` + `read` of the reference):
 * connect to the socket of the command's daemon, send the command, stream upload data if
 * any, then read replies according to the command's reply mode and print them.
 *
 * Deliberate difference: a connection that ends before any reply is a communication
 * failure (121); the reference reports success, which hides daemons that refuse silently.
 * A block dump cut off before its end marker is a failure too.
 */
import { Effect, Either, Option } from "effect"
import type { Command } from "../domain/command.js"
import type { Name } from "../domain/name.js"
import { commandText, endpointOf } from "../domain/endpoint.js"
import { type Header, type Payload, PROTOCOL_VERSION, type Wire } from "../domain/wire.js"
import { type Connection, ConnectionError, connectUnix } from "../net/connection.js"
import { framePrefix } from "../wire/framing.js"
import { encodeWireSync } from "../wire/index.js"
import { app, ClientEnv, error, json, rawStdout, warn } from "./client-env.js"
import { type Destination, socketPath } from "./destination.js"
import { ExitCode } from "./exit-code.js"
import { dumpFileName, inflate, openDumpSink, writeFileAtomic, type DumpSink } from "./files.js"
import { hexdump } from "./hexdump.js"
import { wirePieces } from "./human.js"
import { messageJson } from "./json.js"
import { makeProgress } from "./progress.js"
// loaded when a remote or CSR destination is used: it brings the certificate library, a third
// of the client's start-up time, which the local commands never need
const remote = Effect.promise(() => import("./remote/execute.js"))

/** Raw data sent after the command (spec §6.3), already compressed if requested. */
export interface Upload {
  readonly chunks: AsyncIterable<Uint8Array>
  /** Bytes to expect, for the progress bar. */
  readonly total: number | undefined
}

/** The reference client always sends sequence 0. */
export const commandHeader = (name: Name): Header => ({ version: PROTOCOL_VERSION, sequence: 0n, name })

export const commandWire = (name: Name, command: Command): Wire => ({
  header: commandHeader(name),
  payload: { _tag: "Command", command }
})

type ReadState =
  | { readonly _tag: "single" }
  | { readonly _tag: "read" }
  | { readonly _tag: "dump" }
  | { readonly _tag: "dumping"; readonly sink: DumpSink; readonly progress: ReturnType<typeof makeProgress> }

type Step = { readonly _tag: "continue"; readonly state: ReadState } | { readonly _tag: "stop"; readonly code: ExitCode }

const stop = (code: ExitCode): Step => ({ _tag: "stop", code })
const keep = (state: ReadState): Step => ({ _tag: "continue", state })

/** What to do with one received message (`output_result` of the reference). */
const handleMessage = (wire: Wire, state: ReadState): Effect.Effect<Step, never, ClientEnv> =>
  Effect.gen(function* () {
    const env = yield* ClientEnv
    const { header, payload } = wire
    if (payload._tag === "Command") {
      yield* error(`received unexpected command host ${header.name.display()}: ${commandText(payload.command)}`)
      return stop(ExitCode.internalError)
    }
    yield* json(messageJson(header, payload))
    const printable = payload as Exclude<Payload, { _tag: "Command" }>
    switch (payload._tag) {
      case "Failure":
        yield* warn(...wirePieces(header, printable))
        return stop(ExitCode.remoteCommandFailed)
      case "Success": {
        yield* app(...wirePieces(header, printable))
        const success = payload.success
        if (success._tag === "UnikernelImage" || success._tag === "OldBlockDeviceImage") {
          const file = dumpFileName(env.tempDir, header.name, env.startTime)
          const image = success.compressed ? yield* Effect.either(inflate(success.image)) : Either.right(success.image)
          // the reference logs these two failures and still exits 0; the image is lost, so we do not
          if (Either.isLeft(image)) {
            yield* error(`failed to uncompress image: ${image.left}`)
            return stop(ExitCode.cliError)
          }
          const written = yield* Effect.either(writeFileAtomic(file, image.right))
          if (Either.isLeft(written)) {
            yield* error(`failed to write image: ${written.left}`)
            return stop(ExitCode.cliError)
          }
          yield* app(`dumped image to ${file}`)
          yield* json({ event: "dumped_image", file, size: image.right.length })
          return stop(ExitCode.success)
        }
        if (success._tag === "BlockDeviceImage") {
          const file = dumpFileName(env.tempDir, header.name, env.startTime)
          const sink = yield* Effect.either(openDumpSink(file, success.compressed))
          if (Either.isLeft(sink)) {
            yield* error(`${sink.left} while dumping ${file}`)
            return stop(ExitCode.communicationFailed)
          }
          return keep({ _tag: "dumping", sink: sink.right, progress: makeProgress(env, "dumping", undefined) })
        }
        return state._tag === "single" ? stop(ExitCode.success) : keep(state)
      }
      case "Data": {
        const data = payload.data
        if (data._tag === "BlockData") {
          if (state._tag !== "dumping") {
            yield* warn(data.data === null ? "Unexpected block dump EOF received" : "Unexpected block dump data received")
            return stop(ExitCode.communicationFailed)
          }
          if (data.data === null) {
            state.progress.done()
            const finished = yield* Effect.either(state.sink.finish)
            if (Either.isLeft(finished)) {
              yield* error(`${finished.left} while dumping ${state.sink.file}`)
              return stop(ExitCode.communicationFailed)
            }
            yield* app(`dumped to ${state.sink.file}`)
            yield* json({ event: "dumped", file: state.sink.file })
            return stop(ExitCode.success)
          }
          const written = yield* Effect.either(state.sink.write(data.data))
          if (Either.isLeft(written)) {
            yield* state.sink.abort
            yield* error(`${written.left} while dumping ${state.sink.file}`)
            return stop(ExitCode.communicationFailed)
          }
          state.progress.advance(data.data.length)
          return keep(state)
        }
        if (state._tag !== "read") {
          yield* warn("Unexpected console data received")
          return stop(ExitCode.communicationFailed)
        }
        yield* app(...wirePieces(header, printable))
        return keep(state)
      }
    }
  })

const readReplies = (conn: Connection, initial: ReadState): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.gen(function* () {
    let state = initial
    let replies = 0
    for (;;) {
      // streams (console, stats) may stay quiet for as long as the unikernel does
      const next = yield* Effect.either(state._tag === "read" ? conn.readWireUntimed : conn.readWire)
      if (Either.isLeft(next)) {
        if (state._tag === "dumping") yield* state.sink.abort
        yield* error(`communication failure: ${next.left.message}`)
        return ExitCode.communicationFailed
      }
      if (Option.isNone(next.right)) {
        if (replies === 0) {
          yield* error("connection closed by the daemon before any reply")
          return ExitCode.communicationFailed
        }
        if (state._tag === "dumping") {
          yield* state.sink.abort
          yield* error(`connection closed before the end of the dump to ${state.sink.file}`)
          return ExitCode.communicationFailed
        }
        return ExitCode.success
      }
      replies++
      const step = yield* handleMessage(next.right.value, state)
      if (step._tag === "stop") {
        if (state._tag === "dumping" && step.code !== ExitCode.success) yield* state.sink.abort
        return step.code
      }
      state = step.state
    }
  })

/** Messages above this size (a create carrying an image) go out in slices, with progress. */
const SLICE = 1024 * 1024

/**
 * Write one message. A large one is written slice by slice after its length prefix (the
 * same bytes as one frame), so that a progress bar can follow a big image on its way.
 */
const sendMessage = (conn: Connection, wire: Wire): Effect.Effect<void, ConnectionError, ClientEnv> =>
  Effect.gen(function* () {
    const encoded = encodeWireSync(wire)
    if (Either.isLeft(encoded)) {
      return yield* Effect.fail(new ConnectionError({ reason: "decode", message: `encoding failed: ${encoded.left.message}` }))
    }
    const bytes = encoded.right
    if (bytes.length <= SLICE) return yield* conn.writeFrame(bytes)
    const env = yield* ClientEnv
    const progress = makeProgress(env, "uploading", bytes.length)
    yield* conn.writeFramed(framePrefix(bytes.length))
    for (let off = 0; off < bytes.length; off += SLICE) {
      const slice = bytes.subarray(off, Math.min(bytes.length, off + SLICE))
      yield* conn.writeFramed(slice)
      progress.advance(slice.length)
    }
    progress.done()
  })

/** Send the raw chunks, then the zero-length frame. A local read error is reported to the daemon as a `Failure`. */
const sendUpload = (conn: Connection, name: Name, upload: Upload): Effect.Effect<void, never, ClientEnv> =>
  Effect.gen(function* () {
    const env = yield* ClientEnv
    const progress = makeProgress(env, "uploading", upload.total)
    const iterator = upload.chunks[Symbol.asyncIterator]()
    for (;;) {
      const next = yield* Effect.either(
        Effect.tryPromise({ try: () => iterator.next(), catch: (e) => (e instanceof Error ? e.message : String(e)) })
      )
      if (Either.isLeft(next)) {
        progress.done()
        yield* error(`failed to read data: ${next.left}`)
        yield* Effect.ignore(conn.writeWire({ header: commandHeader(name), payload: { _tag: "Failure", message: next.left } }))
        return
      }
      if (next.right.done === true) break
      const chunk = next.right.value
      if (chunk.length === 0) continue
      const written = yield* Effect.either(conn.writeFrame(chunk))
      // the daemon stopped listening (it probably replied with a failure): read that instead
      if (Either.isLeft(written)) {
        progress.done()
        yield* Effect.promise(async () => iterator.return?.())
        return
      }
      progress.advance(chunk.length)
    }
    progress.done()
    yield* Effect.ignore(conn.writeEnd)
  })

/** `--socket -`: print the encoded message (`out:` and a hexdump) instead of sending it; exit 121. */
const printEncoded = (wire: Wire): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.gen(function* () {
    const encoded = encodeWireSync(wire)
    if (Either.isLeft(encoded)) {
      yield* error(`failed to encode the command: ${encoded.left.message}`)
      return ExitCode.internalError
    }
    yield* json({ out: Buffer.from(encoded.right).toString("hex") })
    yield* app("out:")
    yield* rawStdout(hexdump(encoded.right) + "\n")
    return ExitCode.communicationFailed
  })

/**
 * One command, one reply, nothing printed (`one_jump` of the reference, used by `update`):
 * the reply, or the exit code to stop with (the problem was logged).
 */
export const request = (
  destination: Destination,
  name: Name,
  command: Command
): Effect.Effect<Either.Either<Wire, ExitCode>, never, ClientEnv> =>
  Effect.scoped(
    Effect.gen(function* () {
      if (destination._tag === "Remote") return yield* (yield* remote).requestRemote(destination, name, command)
      if (destination._tag === "Csr") {
        yield* error("this subcommand cannot write a signing request (--csr)")
        return Either.left<ExitCode>(ExitCode.cliError)
      }
      if (Option.isSome(destination.socket) && destination.socket.value === "-") {
        return Either.left<ExitCode>(yield* printEncoded(commandWire(name, command)))
      }
      const path = Option.getOrElse(destination.socket, () => socketPath(destination.tmpdir, endpointOf(command).service))
      const conn = yield* Effect.either(connectUnix(path))
      if (Either.isLeft(conn)) {
        yield* error(`couldn't connect to unix domain socket ${path}: ${connectReason(path, conn.left.message)}`)
        return Either.left<ExitCode>(ExitCode.connectFailed)
      }
      const reply = yield* Effect.either(Effect.zipRight(sendMessage(conn.right, commandWire(name, command)), conn.right.readWire))
      if (Either.isLeft(reply)) {
        yield* error(`communication failure: ${reply.left.message}`)
        return Either.left<ExitCode>(ExitCode.communicationFailed)
      }
      if (Option.isNone(reply.right)) {
        yield* error("connection closed by the daemon before any reply")
        return Either.left<ExitCode>(ExitCode.communicationFailed)
      }
      return Either.right<Wire>(reply.right.value)
    })
  )

/** Print a reply received by `request` as a single reply; the exit code it means. */
export const outputSingle = (wire: Wire): Effect.Effect<ExitCode, never, ClientEnv> => handleMessage(wire, { _tag: "single" }).pipe(
  Effect.map((step) => (step._tag === "stop" ? step.code : ExitCode.success))
)

/** The connection layer says `connect <path>: <code>`; the path is already in our line. */
const connectReason = (path: string, message: string): string =>
  message.startsWith(`connect ${path}: `) ? message.slice(`connect ${path}: `.length) : message

/** Run one command against a local daemon; the result is the process exit code. */
export const execute = (
  destination: Destination,
  name: Name,
  command: Command,
  upload?: Upload
): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.gen(function* () {
    // remote mode and CSRs (src/cli/remote/)
    if (destination._tag === "Remote") return yield* (yield* remote).executeRemote(destination, name, command, upload)
    if (destination._tag === "Csr") return yield* (yield* remote).executeCsr(destination.keyType, name, command)
    const endpoint = endpointOf(command)
    const wire = commandWire(name, command)
    if (Option.isSome(destination.socket) && destination.socket.value === "-") return yield* printEncoded(wire)
    const path = Option.getOrElse(destination.socket, () => socketPath(destination.tmpdir, endpoint.service))
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const conn = yield* Effect.either(connectUnix(path))
        if (Either.isLeft(conn)) {
          yield* error(`couldn't connect to unix domain socket ${path}: ${connectReason(path, conn.left.message)}`)
          return ExitCode.connectFailed
        }
        const sent = yield* Effect.either(sendMessage(conn.right, wire))
        if (Either.isLeft(sent)) {
          yield* error(`communication failure: ${sent.left.message}`)
          return ExitCode.communicationFailed
        }
        if (upload !== undefined) yield* sendUpload(conn.right, name, upload)
        return yield* readReplies(conn.right, { _tag: endpoint.mode })
      })
    )
  })

/** For remote mode (src/cli/remote/): the same sending and reply handling over a TLS connection. */
export const readRepliesOf = (conn: Connection, mode: "single" | "read" | "dump"): Effect.Effect<ExitCode, never, ClientEnv> =>
  readReplies(conn, { _tag: mode })
export { sendMessage, sendUpload }
