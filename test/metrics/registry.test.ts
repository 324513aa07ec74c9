/** The source registry (src/metrics/registry.ts) and the connection counter: cache semantics and batch order. */
import { Effect, Exit, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { ConnectionCounter, counted } from "../../src/metrics/connections.js"
import { field, sourceTag } from "../../src/metrics/line-protocol.js"
import { logsSource } from "../../src/metrics/logs-source.js"
import { MetricsRegistry, ORDER } from "../../src/metrics/registry.js"

describe("metrics registry", () => {
  it("keeps the last measurement per tag set, least recently updated first, and skips empty ones", () => {
    const r = new MetricsRegistry(true)
    const s = r.source("things", 0)
    r.report(s, [sourceTag("domain", "a")], () => [field.int("n", 1)])
    r.report(s, [sourceTag("domain", "b")], () => [field.int("n", 2)])
    r.report(s, [sourceTag("domain", "a")], () => [field.int("n", 3)])
    r.report(s, [sourceTag("domain", "c")], () => [])
    expect(r.batch("albatross")).toBe("things,vm=albatross,domain=b n=2i\nthings,vm=albatross,domain=a n=3i\n")
  })

  it("orders sources as the reference's batch: by kind, later registered first within a kind", () => {
    const r = new MetricsRegistry(true)
    const fifo = new ConnectionCounter(r, "fifo")
    const unix = new ConnectionCounter(r, "unix")
    const kinfo = r.source("kinfo_mem", ORDER.kinfoMem)
    const policies = r.source("albatross-policies", ORDER.policies)
    r.poll(kinfo, [], () => [field.uint("rss", 10)])
    r.report(policies, [sourceTag("domain", ":")], () => [field.uint("maximum memory", 1)])
    fifo.open()
    unix.open()
    unix.open()
    unix.close()
    expect(r.batch("albatross_console")).toBe(
      "connections,vm=albatross_console,kind=unix active=1i,total=2i\n" +
        "connections,vm=albatross_console,kind=fifo active=1i,total=1i\n" +
        "albatross-policies,vm=albatross_console,domain=: maximum\\ memory=1i\n"
    )
    r.collect()
    expect(r.batch("x").split("\n")[0]).toBe("kinfo_mem,vm=x rss=10i")
  })

  it("when disabled stores nothing and never evaluates fields; counters still count", () => {
    const r = new MetricsRegistry(false)
    const s = r.source("things", 0)
    let evaluated = 0
    r.report(s, [], () => {
      evaluated++
      return [field.int("n", 1)]
    })
    r.poll(s, [], () => {
      evaluated++
      return [field.int("n", 1)]
    })
    r.collect()
    const c = new ConnectionCounter(r, "unix")
    c.open()
    expect([evaluated, r.batch("albatross"), c.active, c.total]).toEqual([0, "", 1, 1])
  })

  it("counts a connection for as long as its effect runs, however it ends", async () => {
    const r = new MetricsRegistry(true)
    const c = new ConnectionCounter(r, "unix")
    await Effect.runPromise(counted(c, Effect.sync(() => expect(c.active).toBe(1))))
    const failed = await Effect.runPromiseExit(counted(c, Effect.fail("boom")))
    expect(Exit.isFailure(failed)).toBe(true)
    expect([c.active, c.total]).toEqual([0, 2])
    expect(r.batch("albatross")).toBe("connections,vm=albatross,kind=unix active=0i,total=2i\n")
  })

  it("logs: counts the warnings and errors that are logged", async () => {
    const r = new MetricsRegistry(true)
    const { counts, logger } = logsSource(r)
    await Effect.runPromise(
      Effect.all([Effect.logWarning("w"), Effect.logError("e"), Effect.logError("e2"), Effect.logInfo("i")]).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    )
    expect(counts).toEqual({ warnings: 1, errors: 2 })
    r.collect()
    expect(r.batch("albatross")).toBe("logs,vm=albatross warnings=1i,errors=2i\n")
  })
})
