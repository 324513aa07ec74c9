/** Helpers for the albatross-stats tests: temporary runtime directories and wire messages. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import type { Command } from "../../src/domain/command.js"
import { Name } from "../../src/domain/name.js"
import type { Stats } from "../../src/domain/stats.js"
import type { Wire } from "../../src/domain/wire.js"
import type { Connection } from "../../src/net/connection.js"

export const tmpRuntimeDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.mkdirSync(path.join(dir, "util"))
  return dir
}

export const name = (s: string): Name => Either.getOrThrow(Name.fromString(s))

export const command = (n: string, cmd: Command, sequence = 0n): Wire => ({
  header: { version: 5, sequence, name: name(n) },
  payload: { _tag: "Command", command: cmd }
})

/** The next message, failing the test on end of stream or after `ms`. */
export const next = (conn: Connection, ms = 5000): Effect.Effect<Wire, Error> =>
  conn.readWireUntimed.pipe(
    Effect.mapError((e) => new Error(e.message)),
    Effect.flatMap((w) => (Option.isSome(w) ? Effect.succeed(w.value) : Effect.fail(new Error("end of stream")))),
    Effect.timeoutFail({ duration: ms, onTimeout: () => new Error(`no message within ${ms} ms`) })
  )

/** Whether the peer ends the stream within `ms`. */
export const ends = (conn: Connection, ms = 5000): Effect.Effect<boolean> =>
  conn.readWireUntimed.pipe(
    Effect.map(Option.isNone),
    Effect.orElseSucceed(() => true),
    Effect.timeoutTo({ duration: ms, onTimeout: () => false, onSuccess: (b) => b })
  )

export const replyText = (w: Wire): string =>
  w.payload._tag === "Success" && w.payload.success._tag === "String"
    ? `success:${w.payload.success.message}`
    : w.payload._tag === "Failure"
      ? `failure:${w.payload.message}`
      : w.payload._tag

export const statsOf = (w: Wire): Stats => {
  if (w.payload._tag !== "Data" || w.payload.data._tag !== "StatsData") throw new Error(`not stats: ${replyText(w)}`)
  return w.payload.data.stats
}
