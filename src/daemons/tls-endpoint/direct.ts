/**
 * The endpoint's hot path: a session whose command gets a single reply (spec §10.4 steps 2-4,
 * 6 "single", 7), written on Node's sockets and callbacks rather than as Effects.
 *
 * Why: every request of a remote client is a TLS session of its own (a fresh leaf each
 * time), and for these short sessions the Effect machinery around them (a fiber and scope per
 * session, queues and timed reads on both connections, an error value per socket close)
 * cost more CPU than the rest of our work together (BENCHMARKS.md, ## tls). The steps and
 * the failure texts are those of forward.ts, which still serves the sessions that stream
 * (an image or block data from the client, console/stats subscriptions, block dumps):
 * `serveDirect` hands those over through `streaming`.
 */
import * as net from "node:net"
import * as path from "node:path"
import type * as tls from "node:tls"
import { Duration, Either } from "effect"
import type { Command } from "../../domain/command.js"
import { endpointOf, socketFileOf } from "../../domain/endpoint.js"
import { Name } from "../../domain/name.js"
import { type Payload, PROTOCOL_VERSION, type Wire } from "../../domain/wire.js"
import { DEFAULT_READ_TIMEOUT } from "../../net/connection.js"
import { encodeFrame, FrameDecoder } from "../../wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../../wire/index.js"
import type { Certificate } from "../../tls/certs.js"
import type { Authority } from "../../tls/peer-chain.js"
import { authorizeSync } from "./authorize.js"
import { nextSequence, streamsBlockData, streamsImage } from "./forward.js"

export type LogLevelName = "Error" | "Warning" | "Debug"

export interface DirectOptions {
  readonly ca: Certificate
  /** `<tmpdir>`: the daemons' sockets are in `<tmpdir>/util/`. */
  readonly tmpdir: string
  /** Largest frame accepted from a daemon. */
  readonly maxFrame: number
  /** Longest wait for a daemon's reply (as forward.ts's daemon connection: 5 minutes). */
  readonly replyTimeoutMs?: number
  /** Whether debug lines are logged at all (spares building them). */
  readonly debug: boolean
  readonly log: (level: LogLevelName, message: string) => void
  /** Serves an authorised session that streams (forward.ts). */
  readonly streaming: (socket: tls.TLSSocket, authority: Authority) => void
}

/** Whether a command is served here: a single reply, nothing streamed from the client. */
export const servedDirectly = (command: Command): boolean =>
  endpointOf(command).mode === "single" && !streamsImage(command) && !streamsBlockData(command)

/** How long a client that does not read its reply may hold the session after it. */
const FLUSH_TIMEOUT_MS = 2000

/** forward.ts reads the daemon's reply with the connection's default timeout. */
const REPLY_TIMEOUT_MS = Duration.toMillis(DEFAULT_READ_TIMEOUT)

const ignore = (): void => {}

/** A whole frame (length prefix and DER), or `undefined` if the message cannot be encoded. */
const frameOf = (wire: Wire): Uint8Array | undefined => {
  const der = encodeWireSync(wire)
  return Either.isLeft(der) ? undefined : encodeFrame(der.right)
}

/** Step 7 (or a refusal): the final message, then the close. */
const finalReply = (socket: tls.TLSSocket, wire: Wire): void => {
  if (socket.destroyed) return
  const frame = frameOf(wire)
  socket.setTimeout(FLUSH_TIMEOUT_MS, () => socket.destroy())
  const destroy = () => socket.destroy()
  if (frame === undefined) socket.end(destroy)
  else socket.end(frame, destroy)
}

const failure = (message: string): Payload => ({ _tag: "Failure", message })

/** Steps 2-4 and 6 on the daemon's socket; `done` gets the final payload, exactly once. */
export const exchange = (
  authority: Authority,
  options: Pick<DirectOptions, "tmpdir" | "maxFrame" | "replyTimeoutMs" | "debug" | "log">,
  done: (payload: Payload) => void
): void => {
  const { service } = endpointOf(authority.command)
  const file = path.join(options.tmpdir, "util", socketFileOf(service))
  const policies = service === "vmmd" ? authority.policies : []
  const decoder = new FrameDecoder(options.maxFrame)
  const daemon = net.createConnection({ path: file })
  let connected = false
  let finished = false
  // policies[acked] is the one awaiting vmmd's answer; acked === policies.length: the command
  let acked = 0
  const readError = () => (acked < policies.length ? "read error after writing policy" : "error reading from fd")
  const finish = (payload: Payload) => {
    if (finished) return
    finished = true
    daemon.destroy()
    done(payload)
  }
  const sendNext = () => {
    const policy = policies[acked]
    if (policy !== undefined) {
      const name = Name.of(policy.path)
      if (options.debug) options.log("Debug", `adding policy for ${name.display()}`)
      const frame = frameOf({ header: { version: PROTOCOL_VERSION, sequence: nextSequence(), name }, payload: { _tag: "Command", command: { _tag: "PolicyAdd", policy: policy.policy } } })
      if (frame === undefined) return finish(failure("failed to write policy"))
      daemon.write(frame)
      return
    }
    const frame = frameOf({ header: { version: PROTOCOL_VERSION, sequence: nextSequence(), name: authority.name }, payload: { _tag: "Command", command: authority.command } })
    if (frame === undefined) return finish(failure("couldn't write unikernel to VMMD"))
    daemon.write(frame)
  }
  const onMessage = (frame: Uint8Array | null) => {
    if (frame === null) return finish(failure(readError()))
    const wire = decodeWireSync(frame)
    if (Either.isLeft(wire)) return finish(failure(readError()))
    const payload = wire.right.payload
    if (acked === policies.length) return finish(payload)
    if (payload._tag === "Failure") return finish(payload)
    if (payload._tag !== "Success") return finish(failure(`expected success when adding policy, got: ${payload._tag}`))
    acked++
    sendNext()
  }
  daemon.setTimeout(options.replyTimeoutMs ?? REPLY_TIMEOUT_MS, () => finish(failure(readError())))
  daemon.once("connect", () => {
    connected = true
    sendNext()
  })
  daemon.on("data", (chunk: Buffer) => {
    const frames = decoder.push(chunk)
    for (const frame of frames) {
      if (finished) return
      onMessage(frame)
    }
    if (decoder.error !== undefined) finish(failure(readError()))
  })
  daemon.on("error", (e: NodeJS.ErrnoException) => {
    if (!connected) {
      options.log("Warning", `failed to connect to ${file}: connect ${file}: ${e.code ?? e.message}`)
      return finish(failure("couldn't reach service"))
    }
    finish(failure(readError()))
  })
  daemon.on("close", () => finish(failure(readError())))
}

/** One session on an established TLS connection: authorise, then answer here or hand it over. */
export const serveDirect = (socket: tls.TLSSocket, options: DirectOptions): void => {
  // errors of the client's connection end its session, nothing else
  socket.on("error", ignore)
  try {
    const authority = authorizeSync(socket, options.ca)
    if (Either.isLeft(authority)) {
      options.log("Error", `failed to handle TLS connection ${authority.left}`)
      return finalReply(socket, { header: { version: PROTOCOL_VERSION, sequence: 0n, name: Name.root }, payload: failure(authority.left) })
    }
    const { name, version, command } = authority.right
    if (!servedDirectly(command)) return options.streaming(socket, authority.right)
    if (options.debug) options.log("Debug", `${name.display()} ${command._tag}`)
    exchange(authority.right, options, (payload) => finalReply(socket, { header: { version, sequence: 0n, name }, payload }))
  } catch (defect) {
    options.log("Error", `error while handling a session: ${String(defect)}`)
    socket.destroy()
  }
}
