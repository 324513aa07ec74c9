/**
 * One client connection of vmmd.sock (spec §4.3): one request per connection, except after
 * Policy_add; every reply echoes the request header; bad input is answered with a Failure
 * (header version 5, sequence 0, name ":") and the connection closed.
 */
import { Effect, Either, Option, Stream } from "effect"
import type { Command } from "../../domain/command.js"
import type { Header, Wire } from "../../domain/wire.js"
import type { Connection } from "../../net/connection.js"
import { failure, reply, success, UNKNOWN_REQUEST_HEADER } from "../../wire/reply.js"
import { blockAdd, blockDumpStream, blockInfo, blockRemove, blockSet, oldBlockAdd, oldBlockDump, oldBlockSet } from "./block-commands.js"
import { vmmDevice } from "./create.js"
import type { Daemon } from "./daemon.js"
import { policyAdd, policyInfo, policyRemove } from "./policy-commands.js"
import { isOutcome, type Outcome } from "./outcome.js"
import { create, destroy, forceCreate, get, info, restart } from "./unikernel-commands.js"

const toWire = (header: Header, o: Outcome): Wire => (o._tag === "Ok" ? success(header, o.success) : failure(header, o.message))

/** Spec §4.4 Block_dump: Success(Block_device_image), the data messages, then Block_data None. */
const streamBlock = (d: Daemon, conn: Connection, header: Header, level: number) =>
  Effect.gen(function* () {
    const contents = yield* blockDumpStream(d, header.name, level)
    if (isOutcome(contents)) return yield* conn.writeWire(toWire(header, contents))
    yield* conn.writeWire(success(header, { _tag: "BlockDeviceImage", compressed: level !== 0 }))
    const streamed = yield* Effect.either(
      Stream.runForEach(contents, (piece) =>
        Effect.mapError(conn.writeWire(reply(header, { _tag: "Data", data: { _tag: "BlockData", data: piece } })), (e) => ({ write: e }))
      )
    )
    if (streamed._tag === "Left") {
      // a client that went away cancels the reader; a reader error is reported after the data
      if ("write" in streamed.left) return
      return yield* conn.writeWire(failure(header, "streaming block device"))
    }
    yield* conn.writeWire(reply(header, { _tag: "Data", data: { _tag: "BlockData", data: null } }))
  })

/** Handle one command; true when the connection stays open for another request. */
const handle = (d: Daemon, conn: Connection, header: Header, command: Command): Effect.Effect<boolean> => {
  const name = header.name
  /** Send the outcome; with `keepOpen`, a success leaves the connection open (a failure always ends it). */
  const answer = (o: Effect.Effect<Outcome>, keepOpen = false) =>
    o.pipe(
      Effect.flatMap((o) => Effect.as(conn.writeWire(toWire(header, o)), keepOpen && o._tag === "Ok")),
      Effect.catchAll(() => Effect.succeed(false))
    )
  switch (command._tag) {
    case "UnikernelCreate":
      return answer(create(d, name, command.config))
    case "UnikernelForceCreate":
      return answer(forceCreate(d, name, command.config))
    case "UnikernelRestart":
      return answer(restart(d, name, command.args))
    case "UnikernelDestroy":
      return answer(destroy(d, name))
    case "UnikernelInfo":
    case "OldUnikernelInfo4":
    case "OldUnikernelInfo5":
      return answer(info(d, name, command._tag))
    case "UnikernelGet":
      return answer(get(d, name, command.level))
    case "PolicyAdd":
      return answer(policyAdd(d, name, command.policy), true)
    case "PolicyRemove":
      return answer(policyRemove(d, name))
    case "PolicyInfo":
      return answer(policyInfo(d, name))
    case "BlockAdd":
      return answer(blockAdd(d, name, command.size, Option.none()))
    case "BlockRemove":
      return answer(blockRemove(d, name))
    case "BlockInfo":
      return answer(blockInfo(d, name))
    case "BlockSet":
      return answer(blockSet(d, conn, name, command.compressed))
    case "BlockDump":
      return Effect.as(Effect.ignore(streamBlock(d, conn, header, command.level)), false)
    case "OldBlockAdd":
      return answer(oldBlockAdd(d, name, command.size, command.compressed, command.data))
    case "OldBlockSet":
      return answer(oldBlockSet(d, name, command.compressed, command.data))
    case "OldBlockDump":
      return answer(oldBlockDump(d, name, command.level))
    case "StatsInitial":
      return Effect.as(
        d.stats.takeOver(
          conn,
          header,
          Effect.sync(() =>
            [...d.supervised.values()].flatMap((s) =>
              s.running === undefined
                ? []
                : [
                    {
                      name: s.name,
                      vmmdev: vmmDevice(d, s.running),
                      pid: s.running.process.pid,
                      taps: s.running.taps.map((t) => ({ bridge: t.netif, tap: t.tap }))
                    }
                  ]
            )
          )
        ),
        false
      )
    case "ConsoleAdd":
    case "ConsoleSubscribe":
    case "ConsoleListInactive":
    case "StatsAdd":
    case "StatsRemove":
    case "StatsSubscribe":
      return answer(Effect.succeed({ _tag: "Err", message: "unknown command" }))
  }
}

export const serveConnection = (d: Daemon) => (conn: Connection): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (;;) {
      const read = yield* Effect.either(conn.readWire)
      if (Either.isLeft(read)) {
        const e = read.left
        yield* Effect.logWarning(`vmmd connection: ${e.message}`)
        if (e.reason === "too-large" || e.reason === "decode" || e.reason === "timeout")
          yield* Effect.ignore(conn.writeWire(failure(UNKNOWN_REQUEST_HEADER, e.message)))
        break
      }
      if (Option.isNone(read.right)) break
      const { header, payload } = read.right.value
      if (payload._tag !== "Command") {
        yield* Effect.ignore(conn.writeWire(failure(header, `unexpected ${payload._tag.toLowerCase()}, expected a command`)))
        break
      }
      yield* Effect.logDebug(`${header.name.toString()}: ${payload.command._tag}`)
      const keepOpen = yield* handle(d, conn, header, payload.command)
      if (!keepOpen) break
    }
    yield* conn.close
  })
