/** The HTTP writer against a real local HTTP server: InfluxDB 2.x token header, body, and which answers are retried. */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { httpWriter } from "../../src/daemons/influx/writer.js"

interface Seen {
  readonly url: string
  readonly auth: string | undefined
  readonly body: string
}

const seen: Array<Seen> = []
let status = 204
let port = 0
const server = http.createServer((req, res) => {
  let body = ""
  req.on("data", (c: Buffer) => (body += c.toString("utf8")))
  req.on("end", () => {
    seen.push({ url: req.url ?? "", auth: req.headers.authorization, body })
    res.writeHead(status, { "Content-Type": "application/json" })
    res.end(status >= 400 ? '{"error":"partial write: unable to parse"}' : "")
  })
})

beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => ((port = (server.address() as AddressInfo).port), r()))))
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe("httpWriter", () => {
  it("POSTs the lines with an InfluxDB 2.x token", async () => {
    status = 204
    const w = httpWriter(`http://127.0.0.1:${port}/api/v2/write?org=o&bucket=b`, "s3cret")
    await Effect.runPromise(w.write("resource_usage,vm=x utime=0.000000\n"))
    expect(seen.at(-1)).toEqual({ url: "/api/v2/write?org=o&bucket=b", auth: "Token s3cret", body: "resource_usage,vm=x utime=0.000000\n" })
    await Effect.runPromise(httpWriter(`http://127.0.0.1:${port}/write?db=a`, undefined).write("x y=1i\n"))
    expect(seen.at(-1)?.auth).toBeUndefined()
  })

  it("a refused batch (400) is permanent; 404, 401, 500 and an unreachable server are retried", async () => {
    const w = httpWriter(`http://127.0.0.1:${port}/write?db=a`, undefined)
    const outcome = async (code: number) => {
      status = code
      const r = await Effect.runPromise(Effect.either(w.write("x y=1i\n")))
      return Either.isLeft(r) ? (r.left.permanent ? "permanent" : "retry") : "ok"
    }
    expect(await outcome(400)).toBe("permanent")
    expect(await outcome(413)).toBe("permanent")
    expect(await outcome(404)).toBe("retry")
    expect(await outcome(401)).toBe("retry")
    expect(await outcome(500)).toBe("retry")
    expect(await outcome(204)).toBe("ok")
    const down = await Effect.runPromise(Effect.either(httpWriter("http://127.0.0.1:1/write?db=a", undefined).write("x y=1i\n")))
    expect(Either.isLeft(down) && !down.left.permanent).toBe(true)
  })
})
