/**
 * The channel albatross-stats opens with Stats_initial (spec §4.4, §4.7): albatrossd sends
 * Stats_add after every spawn and Stats_remove after every exit on it. Any error on the channel
 * drops it; albatross-stats reconnects by itself.
 */
import { Effect, Either } from "effect"
import type { StatsTap } from "../../domain/command.js"
import type { Name } from "../../domain/name.js"
import type { Header } from "../../domain/wire.js"
import type { Connection } from "../../net/connection.js"
import { successEmpty } from "../../wire/reply.js"

export interface StatsEntry {
  readonly name: Name
  readonly vmmdev: string
  readonly pid: number
  readonly taps: ReadonlyArray<StatsTap>
}

export interface StatsLink {
  /**
   * Serve a Stats_initial request: reply, replace any previous channel, announce `running`,
   * then hold the connection (reading and discarding the peer's replies) until it ends.
   */
  readonly takeOver: (conn: Connection, header: Header, running: Effect.Effect<ReadonlyArray<StatsEntry>>) => Effect.Effect<void>
  readonly add: (entry: StatsEntry) => Effect.Effect<void>
  readonly remove: (name: Name) => Effect.Effect<void>
}

export const makeStatsLink = (): Effect.Effect<StatsLink> =>
  Effect.sync(() => {
    let channel: Connection | undefined
    let sequence = 0n

    const send = (name: Name, command: { readonly _tag: "StatsRemove" } | ({ readonly _tag: "StatsAdd" } & Omit<StatsEntry, "name">)) =>
      Effect.suspend(() => {
        const conn = channel
        if (conn === undefined) return Effect.void
        const header: Header = { version: 5, sequence: sequence++, name }
        return conn.writeWire({ header, payload: { _tag: "Command", command } }).pipe(
          Effect.catchAll((e) =>
            Effect.gen(function* () {
              yield* Effect.logWarning(`stats channel dropped: ${e.message}`)
              if (channel === conn) channel = undefined
              yield* conn.close
            })
          )
        )
      })

    const add = (e: StatsEntry) =>
      send(e.name, { _tag: "StatsAdd", vmmdev: e.vmmdev, pid: e.pid, taps: e.taps.map((t) => ({ bridge: t.bridge, tap: t.tap })) })

    const takeOver: StatsLink["takeOver"] = (conn, header, running) =>
      Effect.gen(function* () {
        sequence = header.sequence + 1n
        const previous = channel
        channel = undefined
        if (previous !== undefined) yield* previous.close
        if (Either.isLeft(yield* Effect.either(conn.writeWire(successEmpty(header))))) return
        channel = conn
        for (const e of yield* running) yield* add(e)
        // albatross-stats answers each message; those answers carry nothing we need
        for (;;) {
          const r = yield* Effect.either(conn.readWireUntimed)
          if (Either.isLeft(r) || r.right._tag === "None") break
        }
        if (channel === conn) channel = undefined
      })

    return { takeOver, add, remove: (name) => send(name, { _tag: "StatsRemove" }) }
  })
