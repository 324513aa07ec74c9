/**
 * Where albatross-influx delivers its line-protocol batches: a TCP line-protocol listener
 * (telegraf socket_listener, InfluxDB 1.x with a tcp input) as the reference does, or, beyond
 * the reference, InfluxDB's HTTP write API (1.x `/write?db=…`, 2.x `/api/v2/write?…` with a token).
 */
import * as net from "node:net"
import { Data, Effect } from "effect"
import { connectWriteOnly } from "../../net/write-only-tcp.js"
import type { HostPort } from "./endpoint.js"

export class WriteError extends Data.TaggedError("WriteError")<{
  readonly message: string
  /** Retrying cannot help (the server rejected the data itself): drop the batch. */
  readonly permanent: boolean
}> {}

export interface LineWriter {
  readonly describe: string
  /** Deliver one or more batches; fails when it did not reach the server. */
  readonly write: (lines: string) => Effect.Effect<void, WriteError>
  /** Drop a connection after a failure; the next write reconnects. */
  readonly reset: Effect.Effect<void>
  readonly close: Effect.Effect<void>
}

/** Plain TCP, one persistent connection with SO_KEEPALIVE, reconnected lazily before the next write. */
export const tcpWriter = (target: HostPort): LineWriter => {
  let socket: net.Socket | undefined
  const drop = () => {
    socket?.destroy()
    socket = undefined
  }
  const connect = connectWriteOnly(target.host, target.port, (s) => {
    if (socket === s) socket = undefined
  }).pipe(
    Effect.mapError(
      (err) => new WriteError({ message: `error connecting to influxd ${target.host}:${target.port}: ${err.message}`, permanent: false })
    )
  )
  return {
    describe: `tcp://${target.host}:${target.port}`,
    write: (lines) =>
      Effect.gen(function* () {
        if (socket === undefined || socket.destroyed) socket = yield* connect
        const s = socket
        yield* Effect.async<void, WriteError>((resume) => {
          s.write(lines, (err) => {
            if (err === undefined || err === null) resume(Effect.void)
            else {
              drop()
              resume(Effect.fail(new WriteError({ message: `error while writing to tcp: ${err.message}`, permanent: false })))
            }
          })
        })
      }),
    reset: Effect.sync(drop),
    close: Effect.sync(() => {
      socket?.end()
      socket = undefined
    })
  }
}

/** InfluxDB HTTP write API: POST the lines to `url`; `token` adds InfluxDB 2.x token authentication. */
export const httpWriter = (url: string, token: string | undefined): LineWriter => ({
  describe: url,
  write: (lines) =>
    Effect.tryPromise({
      try: async (signal) => {
        const headers: Record<string, string> = { "Content-Type": "text/plain; charset=utf-8" }
        if (token !== undefined) headers["Authorization"] = `Token ${token}`
        const res = await fetch(url, { method: "POST", body: lines, headers, signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]) })
        const body = res.ok ? "" : (await res.text()).slice(0, 500)
        return { status: res.status, body }
      },
      catch: (e) => new WriteError({ message: `error writing to ${url}: ${(e as Error).message}`, permanent: false })
    }).pipe(
      Effect.flatMap(({ status, body }) =>
        status >= 200 && status < 300
          ? Effect.void
          : Effect.fail(
              new WriteError({
                message: `${url} answered ${status}: ${body.trim()}`,
                // the server refused the lines themselves (bad line protocol, too large): retrying repeats it.
                // Anything else (no database yet, authentication, overload, server errors) may heal: retried.
                permanent: status === 400 || status === 413 || status === 422
              })
            )
      )
    ),
  reset: Effect.void,
  close: Effect.void
})
