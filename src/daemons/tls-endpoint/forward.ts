/**
 * Forwarding an authorised request to the local daemons (spec §10.4): image streaming for a
 * create without image, the delegated policies installed deepest first on the vmmd
 * connection, the command, block data relayed, replies relayed, and the final payload.
 */
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import type { Command } from "../../domain/command.js"
import { endpointOf, socketFileOf } from "../../domain/endpoint.js"
import { Name } from "../../domain/name.js"
import { type Header, type Payload, PROTOCOL_VERSION, type Wire } from "../../domain/wire.js"
import { type Connection, connectUnix } from "../../net/connection.js"
import type { Authority } from "../../tls/peer-chain.js"

/** Sequence numbers of what the endpoint sends to the daemons: process-wide, from 0. */
let counter = 0n
export const nextSequence = (): bigint => counter++

export interface ForwardOptions {
  /** `<tmpdir>`: the daemons' sockets are in `<tmpdir>/util/`. */
  readonly tmpdir: string
  /** Largest image accepted through image streaming. */
  readonly maxImage: number
}

const failure = (message: string): Payload => ({ _tag: "Failure", message })

const header = (name: Name): Header => ({ version: PROTOCOL_VERSION, sequence: nextSequence(), name })

/** Whether the image of a create follows as raw chunks (an empty image in the command). */
export const streamsImage = (command: Command): boolean =>
  (command._tag === "UnikernelCreate" || command._tag === "UnikernelForceCreate") && command.config.image.length === 0

/** Step 1: the image of a create sent as raw chunks after the handshake. */
const withStreamedImage = (tls: Connection, command: Command, maxImage: number): Effect.Effect<Command, string> => {
  if (command._tag !== "UnikernelCreate" && command._tag !== "UnikernelForceCreate") return Effect.succeed(command)
  if (command.config.image.length > 0) return Effect.succeed(command)
  return Effect.gen(function* () {
    const parts: Array<Uint8Array> = []
    let total = 0
    for (;;) {
      const chunk = yield* Effect.mapError(tls.readChunk, (e) => `reading the unikernel image: ${e.message}`)
      if (Option.isNone(chunk)) break
      total += chunk.value.length
      if (total > maxImage) return yield* Effect.fail(`unikernel image exceeds ${maxImage} bytes`)
      parts.push(Uint8Array.from(chunk.value))
    }
    const image = new Uint8Array(total)
    let offset = 0
    for (const p of parts) {
      image.set(p, offset)
      offset += p.length
    }
    return { ...command, config: { ...command.config, image } }
  })
}

/** Step 3: every delegated policy, deepest first, each acknowledged by vmmd. */
const installPolicies = (daemon: Connection, authority: Authority): Effect.Effect<void, string> =>
  Effect.forEach(
    authority.policies,
    ({ path: p, policy }) =>
      Effect.gen(function* () {
        yield* Effect.logDebug(`adding policy for ${Name.of(p).display()}`)
        yield* Effect.mapError(
          daemon.writeWire({ header: header(Name.of(p)), payload: { _tag: "Command", command: { _tag: "PolicyAdd", policy } } }),
          () => "failed to write policy"
        )
        const reply = yield* Effect.mapError(daemon.readWire, () => "read error after writing policy")
        if (Option.isNone(reply)) return yield* Effect.fail("read error after writing policy")
        const payload = reply.value.payload
        if (payload._tag === "Success") return
        if (payload._tag === "Failure") return yield* Effect.fail(payload.message)
        return yield* Effect.fail(`expected success when adding policy, got: ${payload._tag}`)
      }),
    { discard: true }
  )

export const streamsBlockData = (command: Command): boolean =>
  command._tag === "BlockSet" ||
  (command._tag === "OldBlockAdd" && command.data !== null && command.data.length === 0) ||
  (command._tag === "OldBlockSet" && command.data.length === 0)

/** Step 5: raw chunks from the client to the daemon, then the end marker. */
const relayBlockData = (tls: Connection, daemon: Connection): Effect.Effect<void, string> =>
  Effect.gen(function* () {
    for (;;) {
      const chunk = yield* Effect.mapError(tls.readChunk, () => "reading tls chunk")
      if (Option.isNone(chunk)) break
      yield* Effect.mapError(daemon.writeFrame(chunk.value), () => "writing block data")
    }
    yield* Effect.mapError(daemon.writeEnd, () => "writing block data")
  })

/** Step 6, streams: every daemon message to the client (version = the client's) until the end of a dump. */
const relayReplies = (tls: Connection, daemon: Connection, version: number): Effect.Effect<Payload> =>
  Effect.gen(function* () {
    for (;;) {
      const next = yield* Effect.either(daemon.readWireUntimed)
      if (Either.isLeft(next) || Option.isNone(next.right)) return failure("exception while reading from fd")
      const wire: Wire = next.right.value
      if (wire.payload._tag === "Data" && wire.payload.data._tag === "BlockData" && wire.payload.data.data === null) return wire.payload
      const written = yield* Effect.either(tls.writeWire({ header: { ...wire.header, version }, payload: wire.payload }))
      if (Either.isLeft(written)) return failure("exception")
    }
  }).pipe(
    // a client that goes away ends the relay even while the daemon is silent
    Effect.raceFirst(Effect.as(tls.closed, failure("exception")))
  )

/** Steps 1-6; the final payload (step 7 is the caller's). */
export const forward = (tls: Connection, authority: Authority, options: ForwardOptions): Effect.Effect<Payload> =>
  Effect.scoped(
    Effect.gen(function* () {
      const command = yield* withStreamedImage(tls, authority.command, options.maxImage)
      const { service, mode } = endpointOf(command)
      const socket = path.join(options.tmpdir, "util", socketFileOf(service))
      const daemon = yield* connectUnix(socket).pipe(
        Effect.tapError((e) => Effect.logWarning(`failed to connect to ${socket}: ${e.message}`)),
        Effect.mapError(() => "couldn't reach service")
      )
      if (service === "vmmd") yield* installPolicies(daemon, authority)
      yield* Effect.mapError(
        daemon.writeWire({ header: header(authority.name), payload: { _tag: "Command", command } }),
        () => "couldn't write unikernel to VMMD"
      )
      if (streamsBlockData(command)) yield* relayBlockData(tls, daemon)
      if (mode === "single") {
        const reply = yield* Effect.either(daemon.readWire)
        return Either.isRight(reply) && Option.isSome(reply.right) ? reply.right.value.payload : failure("error reading from fd")
      }
      return yield* relayReplies(tls, daemon, authority.version)
    }).pipe(Effect.catchAll((message) => Effect.succeed(failure(message))))
  )
