/** The reporter (src/metrics/reporter.ts) with a scripted sink, and the real TCP sink's reconnect. */
import * as net from "node:net"
import { Effect, Either, Layer, Logger, LogLevel, Option } from "effect"
import { describe, expect, it } from "vitest"
import { field } from "../../src/metrics/line-protocol.js"
import { MetricsRegistry } from "../../src/metrics/registry.js"
import { influxLayer, reportOnce, selfMetricsLayer } from "../../src/metrics/reporter.js"
import { SelfMetrics } from "../../src/metrics/service.js"
import { type LineSink, SinkError, tcpSink } from "../../src/metrics/tcp-sink.js"

const registryWithOneLine = () => {
  const r = new MetricsRegistry(true)
  r.poll(r.source("logs", 2), [], () => [field.int("warnings", 0)])
  return r
}

const run = <A>(eff: Effect.Effect<A>, logs: Array<string>) =>
  Effect.runPromise(
    eff.pipe(
      Effect.provide(
        Layer.merge(
          Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${String(message)}`))),
          Logger.minimumLogLevel(LogLevel.All)
        )
      )
    )
  )

describe("metrics reporter", () => {
  it("writes each report, logs a failure once per outage and its end", async () => {
    const written: Array<string> = []
    const outcomes: Array<"ok" | "connect" | "write"> = ["ok", "connect", "connect", "write", "ok"]
    const sink: LineSink = {
      describe: "scripted",
      write: (lines) =>
        Effect.suspend(() => {
          const o = outcomes.shift()!
          if (o !== "ok") return Effect.fail(new SinkError({ stage: o, message: "nope" }))
          written.push(lines)
          return Effect.void
        }),
      close: Effect.void
    }
    const logs: Array<string> = []
    const state = { failing: false }
    const r = registryWithOneLine()
    for (let i = 0; i < 5; i++) await run(reportOnce(r, "albatross", sink, state), logs)
    expect(written).toEqual(["logs,vm=albatross warnings=0i\n", "logs,vm=albatross warnings=0i\n"])
    expect(logs).toEqual([
      "WARN metrics: connection failure to scripted: nope (retrying every report)",
      "DEBUG metrics: connection failure to scripted: nope",
      "DEBUG metrics: error on write to scripted: nope",
      "INFO metrics: reporting to scripted again"
    ])
  })

  it("the TCP sink connects lazily, and reconnects after the listener closed the connection", async () => {
    let received = ""
    const sockets: Array<net.Socket> = []
    const server = net.createServer((s) => {
      sockets.push(s)
      s.on("data", (c: Buffer) => (received += c.toString()))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    const sink = tcpSink({ host: "127.0.0.1", port })
    expect(sockets.length).toBe(0)
    await Effect.runPromise(sink.write("a\n"))
    while (received !== "a\n") await new Promise((r) => setTimeout(r, 10))
    for (const s of sockets) s.destroy()
    await new Promise((r) => setTimeout(r, 100))
    await Effect.runPromise(sink.write("b\n"))
    await new Promise((r) => setTimeout(r, 100))
    expect([received, sockets.length]).toEqual(["a\nb\n", 2])
    await Effect.runPromise(sink.close)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    // nothing listening: a connect failure, not a hang or a crash
    const failed = await Effect.runPromise(Effect.either(sink.write("c\n")))
    expect(Either.isLeft(failed) && failed.left.stage).toBe("connect")
  })

  it("the layer provides an enabled registry, reports at once to the listener and counts the daemon's warnings", async () => {
    let received = ""
    const server = net.createServer((s) => s.on("data", (c: Buffer) => (received += c.toString())))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    const batch = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* Effect.logWarning("something odd")
          const registry = yield* SelfMetrics
          while (!received.includes("logs,vm=albatross_console ")) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
          registry.collect()
          return registry.batch("albatross_console")
        }).pipe(Effect.provide(selfMetricsLayer({ target: { host: "127.0.0.1", port }, vm: "albatross_console" })))
      ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, Logger.none)))
    )
    await new Promise<void>((resolve) => server.close(() => resolve()))
    expect(received).toMatch(/^kinfo_mem,vm=albatross_console .*\nresource_usage,vm=albatross_console .*\nlogs,vm=albatross_console warnings=[01]i,errors=0i\n$/)
    expect(batch).toContain("logs,vm=albatross_console warnings=1i,errors=0i\n")
  })

  it("--influx: absent means no reporting; a bad HOST[:PORT] is refused", () => {
    expect(Either.isRight(influxLayer(Option.none(), "albatross"))).toBe(true)
    expect(Either.isRight(influxLayer(Option.some("[::1]:9000"), "albatross"))).toBe(true)
    expect(influxLayer(Option.some("not a host"), "albatross_stats")).toEqual(
      Either.left('invalid host and port "not a host" (expected HOST[:PORT])')
    )
  })
})
