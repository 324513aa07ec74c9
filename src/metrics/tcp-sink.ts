/**
 * The reporter's TCP connection to an InfluxDB/telegraf line-protocol listener: opened lazily
 * before a write, closed after any failure (or when the peer closes it), so the next write
 * reconnects. Connecting and writing are bounded in time, so an unreachable or stalled
 * listener costs one attempt per report and never blocks anything.
 */
import * as net from "node:net"
import { Data, Duration, Effect } from "effect"
import type { HostPort } from "../daemons/influx/endpoint.js"
import { connectWriteOnly } from "../net/write-only-tcp.js"

export class SinkError extends Data.TaggedError("SinkError")<{ readonly stage: "connect" | "write"; readonly message: string }> {}

export interface LineSink {
  readonly describe: string
  readonly write: (lines: string) => Effect.Effect<void, SinkError>
  readonly close: Effect.Effect<void>
}

export interface TcpSinkOptions {
  readonly connectTimeout: Duration.Duration
  readonly writeTimeout: Duration.Duration
}

export const DEFAULT_SINK_TIMEOUTS: TcpSinkOptions = { connectTimeout: Duration.seconds(5), writeTimeout: Duration.seconds(5) }

export const tcpSink = (target: HostPort, options: TcpSinkOptions = DEFAULT_SINK_TIMEOUTS): LineSink => {
  const describe = target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`
  let socket: net.Socket | undefined
  const drop = () => {
    socket?.destroy()
    socket = undefined
  }
  const connect = connectWriteOnly(target.host, target.port, (s) => {
    if (socket === s) socket = undefined
  }).pipe(
    Effect.mapError((err) => new SinkError({ stage: "connect", message: err.message })),
    Effect.timeoutFail({
      duration: options.connectTimeout,
      onTimeout: () => new SinkError({ stage: "connect", message: `no connection within ${Duration.format(options.connectTimeout)}` })
    })
  )
  const send = (s: net.Socket, lines: string) =>
    Effect.async<void, SinkError>((resume) => {
      s.write(lines, (err) => {
        if (err === undefined || err === null) resume(Effect.void)
        else resume(Effect.fail(new SinkError({ stage: "write", message: err.message })))
      })
    }).pipe(
      Effect.timeoutFail({
        duration: options.writeTimeout,
        onTimeout: () => new SinkError({ stage: "write", message: `not written within ${Duration.format(options.writeTimeout)}` })
      })
    )
  return {
    describe,
    write: (lines) =>
      Effect.gen(function* () {
        if (socket === undefined || socket.destroyed) socket = yield* connect
        yield* send(socket, lines)
      }).pipe(Effect.tapError(() => Effect.sync(drop))),
    close: Effect.sync(drop)
  }
}
