/**
 * Self-metrics end to end: the three BUILT daemons (dist/bin) started with
 * `--influx 127.0.0.1:<port>` against a real TCP listener in this test. Each sends well-formed
 * line protocol tagged with its own `vm` right away (then every 10 s, the reference's
 * interval: no shortcut), reports what happens (a unikernel created through the client shows in
 * albatrossd's `albatross-unikernels` and albatross-console's `fifo` connections), and keeps
 * running when the listener goes away: it logs the failed connect and delivers again once the
 * listener is back on the same port.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { waitFor } from "../albatrossd/e2e-support.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { daemonStack, STACK_DAEMONS, type StackDaemon } from "../support/daemon-stack.js"

const VM: Record<StackDaemon, string> = {
  albatrossd: "albatross",
  "albatross-console": "albatross_console",
  "albatross-stats": "albatross_stats"
}

/** A line-protocol TCP listener that keeps everything it receives. */
class Listener {
  received = ""
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()

  listen(port = 0): Promise<number> {
    const server = net.createServer((s) => {
      this.sockets.add(s)
      s.on("data", (c: Buffer) => {
        this.received += c.toString("latin1")
      })
      s.on("error", () => {})
      s.on("close", () => this.sockets.delete(s))
    })
    this.server = server
    return new Promise((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
    })
  }

  close(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const s of this.sockets) s.destroy()
    return server === undefined ? Promise.resolve() : new Promise((resolve) => server.close(() => resolve()))
  }

  lines(): Array<string> {
    return this.received.split("\n").filter((l) => l !== "")
  }

  /** Lines of one daemon. */
  of(vm: string): Array<string> {
    return this.lines().filter((l) => l.includes(`,vm=${vm} `) || l.includes(`,vm=${vm},`))
  }
}

// measurement (`,` and space escaped), tags, then fields: integers with i, %g floats, booleans, quoted strings
const NAME = String.raw`(?:[^,\\ ]|\\[, ])+`
const KEY = String.raw`(?:[^,\\ =]|\\[, =])+`
const VALUE = String.raw`(?:-?\d+i|-?\d+(?:\.\d+)?(?:e[+-]\d\d+)?|nan|-?inf|true|false|"(?:[^"\\]|\\.)*")`
const LINE = new RegExp(`^(${NAME}),vm=(albatross|albatross_console|albatross_stats)((?:,${KEY}=[^, ]+)*) (${KEY}=${VALUE}(?:,${KEY}=${VALUE})*)$`)

const listener = new Listener()
const stack = daemonStack("albatross-metrics-e2e-")
let port = 0

beforeAll(async () => {
  port = await listener.listen()
  const influx = ["--influx", `127.0.0.1:${port}`]
  await stack.start({ "albatross-console": influx, albatrossd: influx, "albatross-stats": influx })
  fs.writeFileSync(path.join(stack.root, "plain.hvt"), solo5Image())
}, 30_000)

afterAll(async () => {
  await stack.stop()
  await listener.close()
}, 30_000)

describe("--influx on the built daemons", () => {
  it("each daemon sends well-formed lines with its own vm tag right away", { timeout: 20_000 }, async () => {
    for (const d of STACK_DAEMONS) {
      await waitFor(`${d}'s first batch`, () => listener.of(VM[d]).some((l) => l.startsWith("kinfo_mem,")), 12_000)
    }
    for (const l of listener.lines()) expect(l).toMatch(LINE)
    for (const d of STACK_DAEMONS) {
      const measurements = new Set(listener.of(VM[d]).map((l) => l.split(",")[0]))
      expect([d, [...measurements].filter((m) => ["kinfo_mem", "resource_usage", "logs"].includes(m!)).sort()]).toEqual([
        d,
        ["kinfo_mem", "logs", "resource_usage"]
      ])
      const ru = listener.of(VM[d]).find((l) => l.startsWith("resource_usage,"))!
      expect(ru).toMatch(/^resource_usage,vm=\w+ utime=[\d.e+-]+,stime=[\d.e+-]+,maxrss=[1-9]\d*i,ixrss=\d+i,idrss=\d+i,isrss=\d+i,minflt=\d+i,maxflt=\d+i,nswap=\d+i,inblock=\d+i,outblock=\d+i,msgsnd=\d+i,msgrcv=\d+i,nsignals=\d+i,nvcsw=\d+i,nivcsw=\d+i$/)
      const km = listener.of(VM[d]).find((l) => l.startsWith("kinfo_mem,"))!
      expect(km).toMatch(/^kinfo_mem,vm=\w+ vsize=[1-9]\d*i,rss=[1-9]\d*i,tsize=\d+i,dsize=\d+i,ssize=\d+i,cow_faults=0i,runtime=\d+i,uptime=[\d.e+-]+$/)
    }
  })

  it("survives the listener going away and delivers again, with what happened meanwhile", { timeout: 45_000 }, async () => {
    const created = await stack.client("create", "hello", path.join(stack.root, "plain.hvt"), "--mem", "16")
    expect(created.code, stack.shown(created)).toBe(0)

    await listener.close()
    listener.received = ""
    // the next report of each finds nothing listening (within one interval)
    for (const d of STACK_DAEMONS) {
      await waitFor(`${d} to notice the listener is gone`, () => stack.daemon(d).log().includes("metrics: connection failure"), 12_000)
    }
    await listener.listen(port)
    for (const d of STACK_DAEMONS) {
      await waitFor(`${d} to report again`, () => listener.of(VM[d]).some((l) => l.startsWith("resource_usage,")), 12_000)
      expect(stack.daemon(d).child.exitCode, stack.logs()).toBe(null)
    }
    for (const l of listener.lines()) expect(l).toMatch(LINE)
    const d = listener.of("albatross")
    expect(d).toContain(
      "albatross-unikernels,vm=albatross,domain=: attached\\ used\\ block=0i,unattached\\ used\\ block=0i,total\\ used\\ block=0i,running\\ unikernels=1i,used\\ memory=16i"
    )
    // the root policy of its start (inserted after the first, immediate, report)
    expect(d.some((l) => /^albatross-policies,vm=albatross,domain=: maximum\\ unikernels=\d+i,/.test(l))).toBe(true)
    // albatross-stats' link and the client's requests
    expect(d.some((l) => /^connections,vm=albatross,kind=unix active=\d+i,total=[1-9]\d*i$/.test(l))).toBe(true)
    expect(listener.of("albatross_console")).toContain("connections,vm=albatross_console,kind=fifo active=1i,total=1i")
    expect(listener.of("albatross_console").some((l) => /^connections,vm=albatross_console,kind=unix active=1i,total=[1-9]\d*i$/.test(l))).toBe(true)
    // the failed connects were warnings, counted by the logs source
    expect(listener.of("albatross_stats").some((l) => /^logs,vm=albatross_stats warnings=[1-9]\d*i,errors=\d+i$/.test(l))).toBe(true)
  })
})
