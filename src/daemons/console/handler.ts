/**
 * One connection to console.sock (spec §7.2-7.5, §6.7):
 * - albatrossd's long-lived link: `Console_add` after `Console_add`, each answered;
 * - a subscriber: `Console_subscribe`, reply, history, live lines until it sends one more
 *   message or closes;
 * - `Console_list_inactive`: one reply, then closed.
 * Anything else gets a `Failure` and the connection is closed.
 */
import * as path from "node:path"
import { Effect, Either, FiberSet, Option, type Scope } from "effect"
import type { ConsoleQuery } from "../../domain/command.js"
import { Name } from "../../domain/name.js"
import type { Header, Wire } from "../../domain/wire.js"
import { counted, type ConnectionCounter } from "../../metrics/connections.js"
import type { Connection, ConnectionError } from "../../net/connection.js"
import { ConsoleFifo } from "../../services/console-fifo.js"
import { encodeWireSync } from "../../wire/index.js"
import { failure, success, successEmpty, successString, UNKNOWN_REQUEST_HEADER } from "../../wire/reply.js"
import { consoleFrames, encodeTimestamp } from "./frames.js"
import { runReader } from "./reader.js"
import type { ConsoleRegistry } from "./registry.js"
import type { Ring, RingEntry } from "./ring.js"
import { makeSubscriber, type Subscriber } from "./subscriber.js"

export interface ConsoleContext {
  readonly registry: ConsoleRegistry
  readonly tmpdir: string
  /** Where readers run: they outlive the connection that started them. */
  readonly readers: FiberSet.FiberSet
  readonly maxQueuedBytes: number
  /** Self-metrics: the FIFOs being read (`connections`, kind `fifo`). */
  readonly fifos?: ConnectionCounter
}

type Labelled = Name & { readonly label: string }
const hasLabel = (name: Name): name is Labelled => name.label !== null

export const fifoPath = (tmpdir: string, name: Name): string => path.join(tmpdir, "fifo", name.toString())

const closeAll = (subs: ReadonlyArray<Subscriber>) => Effect.forEach(subs, (s) => s.close, { discard: true })

/** The history a query asks for (bounded, spec §7.4). */
export const history = (ring: Ring, query: ConsoleQuery): Array<RingEntry> =>
  query._tag === "Count" ? ring.last(query.count) : ring.since(query.since.getTime())

/** History entries as frames, one buffer; entries of equal timestamps share one encoding. */
const historyFrames = (header: Uint8Array, entries: ReadonlyArray<RingEntry>): Uint8Array => {
  const parts: Array<Uint8Array> = []
  let i = 0
  while (i < entries.length) {
    const ts = entries[i]!.timestamp
    let j = i
    const lines: Array<Uint8Array> = []
    while (j < entries.length && entries[j]!.timestamp === ts) lines.push(entries[j++]!.line)
    parts.push(consoleFrames(header, encodeTimestamp(ts), lines))
    i = j
  }
  return Buffer.concat(parts)
}

const encodeFramed = (wire: Wire): Uint8Array => {
  const encoded = encodeWireSync(wire)
  if (Either.isLeft(encoded)) throw new Error(`encoding a reply failed: ${encoded.left.message}`)
  const der = encoded.right
  const out = new Uint8Array(4 + der.length)
  new DataView(out.buffer).setInt32(0, der.length, false)
  out.set(der, 4)
  return out
}

/** Bad input (spec rule for every daemon): a Failure with the reason, best effort. */
const badInput = (conn: Connection, err: ConnectionError): Effect.Effect<void> =>
  err.reason === "too-large" || err.reason === "decode" || err.reason === "timeout"
    ? Effect.zipRight(
        Effect.logDebug(`bad input: ${err.message}`),
        Effect.ignore(conn.writeWire(failure(UNKNOWN_REQUEST_HEADER, err.message)))
      )
    : Effect.void

const consoleAdd = (ctx: ConsoleContext, conn: Connection, header: Header, name: Labelled, n: bigint) =>
  Effect.gen(function* () {
    const fifo = yield* ConsoleFifo
    const file = fifoPath(ctx.tmpdir, name)
    const opened = yield* Effect.either(fifo.open(file))
    if (Either.isLeft(opened)) {
      yield* Effect.logError(`${file}: error in open: ${opened.left.message}`)
      return yield* conn.writeWire(failure(header, "opening"))
    }
    const { entry, reader, dropped, cap } = ctx.registry.add(name, n)
    if (cap._tag === "Dropped") yield* Effect.logInfo(`dropping ${Name.of(name.path, cap.label).toString()}`)
    if (cap._tag === "NothingToDrop") {
      yield* Effect.logError(`adding a ringbuffer to ${name.toString()}, but found nothing inactive to drop`)
    }
    yield* closeAll(dropped)
    const read = runReader(ctx.registry, entry, reader, name.toString(), opened.right)
    yield* FiberSet.run(ctx.readers, ctx.fifos === undefined ? read : counted(ctx.fifos, read))
    yield* conn.writeWire(successEmpty(header))
  })

const consoleSubscribe = (ctx: ConsoleContext, conn: Connection, header: Header, name: Labelled, query: ConsoleQuery) =>
  Effect.gen(function* () {
    const sub = yield* makeSubscriber(
      conn,
      name.toString(),
      ctx.maxQueuedBytes,
      (lines) => {
        ctx.registry.linesLost += lines
      },
      ctx.registry.budget
    )
    const { reply, ring, entry, dropped } = ctx.registry.subscribe(name, sub)
    yield* Effect.addFinalizer(() => Effect.sync(() => ctx.registry.unsubscribe(name, sub)))
    // reply and history are queued in the same step as the registration: live lines follow them
    const replyFrame = encodeFramed(successString(header, reply))
    sub.offerAlways(
      ring === undefined ? replyFrame : Buffer.concat([replyFrame, historyFrames(entry.header, history(ring, query))])
    )
    yield* closeAll(dropped)
    // live lines flow until the subscriber says anything more, or goes
    yield* Effect.either(conn.readFrameUntimed)
  })

const dispatch = (ctx: ConsoleContext, conn: Connection, wire: Wire): Effect.Effect<"continue" | "close", ConnectionError, ConsoleFifo | Scope.Scope> => {
  const { header, payload } = wire
  if (payload._tag !== "Command") {
    return Effect.as(Effect.zipRight(Effect.logWarning(`unexpected ${payload._tag} message`), conn.writeWire(failure(header, "unexpected message"))), "close")
  }
  const command = payload.command
  const name = header.name
  switch (command._tag) {
    case "ConsoleAdd":
      if (!hasLabel(name)) return Effect.as(conn.writeWire(failure(header, "path used instead of name")), "close")
      return Effect.as(consoleAdd(ctx, conn, header, name, command.n), "continue")
    case "ConsoleSubscribe":
      if (!hasLabel(name)) return Effect.as(conn.writeWire(failure(header, "path used instead of name")), "close")
      return Effect.as(Effect.scoped(consoleSubscribe(ctx, conn, header, name, command.query)), "close")
    case "ConsoleListInactive":
      if (hasLabel(name)) return Effect.as(conn.writeWire(failure(header, "name used")), "close")
      return Effect.as(
        conn.writeWire(success(header, { _tag: "Consoles", consoles: ctx.registry.listInactive(name.path) })),
        "close"
      )
    default:
      return Effect.as(
        Effect.zipRight(
          Effect.logWarning(`unexpected command ${command._tag}`),
          conn.writeWire(failure(header, `unexpected command ${command._tag}`))
        ),
        "close"
      )
  }
}

/** Serves one connection until it is done; never fails. */
export const handleConnection = (ctx: ConsoleContext) => (conn: Connection): Effect.Effect<void, never, ConsoleFifo> =>
  Effect.scoped(
    Effect.gen(function* () {
      // the first message within the read timeout; albatrossd's link then idles as long as it likes
      let read = conn.readWire
      for (;;) {
        const next = yield* Effect.either(read)
        if (Either.isLeft(next)) return yield* badInput(conn, next.left)
        if (Option.isNone(next.right)) return
        const outcome = yield* Effect.either(dispatch(ctx, conn, next.right.value))
        if (Either.isLeft(outcome) || outcome.right === "close") return
        read = conn.readWireUntimed
      }
    })
  ).pipe(Effect.ensuring(conn.close))
