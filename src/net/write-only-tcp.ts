/**
 * A TCP connection that is only written to (line protocol to InfluxDB or telegraf): keep-alive
 * on, and the peer's close or an error noticed as it happens rather than at the next write, so
 * the owner can drop it and reconnect lazily before that write.
 */
import * as net from "node:net"
import { Effect } from "effect"

/** Connects; `onGone(socket)` is called (possibly more than once) when the connection ends. */
export const connectWriteOnly = (host: string, port: number, onGone: (socket: net.Socket) => void): Effect.Effect<net.Socket, Error> =>
  Effect.async<net.Socket, Error>((resume) => {
    const s = net.createConnection({ host, port })
    const onError = (err: Error) => {
      s.destroy()
      resume(Effect.fail(err))
    }
    s.once("error", onError)
    s.once("connect", () => {
      s.off("error", onError)
      s.setKeepAlive(true)
      const dead = () => {
        onGone(s)
        s.destroy()
      }
      s.on("error", dead)
      s.on("end", dead)
      s.on("close", dead)
      // nothing is ever read; keep the stream flowing so the peer's close ("end") is seen
      s.resume()
      resume(Effect.succeed(s))
    })
    return Effect.sync(() => s.destroy())
  })
