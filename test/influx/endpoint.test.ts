/** `--influx HOST[:PORT]` parsing and the choice between TCP and HTTP delivery. */
import { Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { chooseWriter } from "../../src/daemons/influx/cli.js"
import { parseHostPort } from "../../src/daemons/influx/endpoint.js"

describe("--influx HOST[:PORT]", () => {
  it("IPv4, IPv6 (bracketed with a port, bare without), host names; port 8094 by default", () => {
    expect(parseHostPort("127.0.0.1")).toEqual(Either.right({ host: "127.0.0.1", port: 8094 }))
    expect(parseHostPort("10.0.0.1:9000")).toEqual(Either.right({ host: "10.0.0.1", port: 9000 }))
    expect(parseHostPort("[::1]:8095")).toEqual(Either.right({ host: "::1", port: 8095 }))
    expect(parseHostPort("[::1]")).toEqual(Either.right({ host: "::1", port: 8094 }))
    expect(parseHostPort("fe80::1")).toEqual(Either.right({ host: "fe80::1", port: 8094 }))
    expect(parseHostPort("influx.example:8094")).toEqual(Either.right({ host: "influx.example", port: 8094 }))
  })
  it("refuses bad ports and empty hosts", () => {
    for (const bad of ["", ":8094", "h:0", "h:65536", "h:x", "[::1]:", "[zz]:1", "a b"]) expect(Either.isLeft(parseHostPort(bad)), bad).toBe(true)
  })
  it("exactly one of --influx and --influx-url", () => {
    const none = Option.none<string>()
    expect(chooseWriter(none, none, none)).toEqual(Either.left("influx host not provided"))
    expect(Either.isLeft(chooseWriter(Option.some("127.0.0.1"), Option.some("http://x/write?db=a"), none))).toBe(true)
    expect(Either.isLeft(chooseWriter(none, Option.some("ftp://x/"), none))).toBe(true)
    expect(Either.map(chooseWriter(Option.some("127.0.0.1:9"), none, none), (w) => w.describe)).toEqual(Either.right("tcp://127.0.0.1:9"))
    expect(Either.map(chooseWriter(none, Option.some("http://127.0.0.1:8086/write?db=a"), none), (w) => w.describe)).toEqual(
      Either.right("http://127.0.0.1:8086/write?db=a")
    )
  })
})
