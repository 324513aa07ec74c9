/** Deterministic MAC derivation (spec §1.5) against mac.json. */
import { Either, Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { deriveMac, macBytes } from "../../src/domain/mac.js"
import { Name } from "../../src/domain/name.js"
import { Mac } from "../../src/domain/unikernel.js"
import { loadRows } from "./vector-files.js"

interface MacRow {
  readonly name: string
  readonly bridge: string
  readonly digest_input: string
  readonly mac: string
}

const rows = loadRows<MacRow>("mac.json")
const nameOf = (s: string): Name => Either.getOrThrow(Name.fromString(s))

describe("mac.json", () => {
  it.each(rows.map((r) => [r.name, r.bridge, r] as const))("%s with interface %j", (_, __, r) => {
    const name = nameOf(r.name)
    // the digest input is the interface name then the wire form of the name, without separator
    expect(r.bridge + name.toString()).toBe(r.digest_input)
    expect(deriveMac(name, r.bridge)).toBe(r.mac)
  })

  it("the spec's examples (unikernel-side interface, not the host bridge)", () => {
    expect(deriveMac(nameOf("alice:web"), "service")).toBe("00:80:41:03:9d:1a")
    expect(deriveMac(nameOf("foo"), "service")).toBe("00:80:41:bb:cb:b4")
    // recorded in transcripts-network.json: `:netuk` with --net=net0:service
    expect(deriveMac(nameOf("netuk"), "net0")).toBe("00:80:41:87:8c:a7")
  })
})

describe("mac properties", () => {
  const labelArb = fc.stringMatching(/^[a-z0-9.][a-z0-9.-]{0,20}$/)
  it("is a valid lower-case MAC with the Robotron OUI, and macBytes gives its 6 bytes", () => {
    fc.assert(
      fc.property(fc.array(labelArb, { maxLength: 3 }), labelArb, fc.string(), (path, label, netif) => {
        const mac = deriveMac(Name.of(path, label), netif)
        expect(Schema.is(Mac)(mac)).toBe(true)
        expect(mac.startsWith("00:80:41:")).toBe(true)
        const bytes = macBytes(mac)
        expect(bytes.length).toBe(6)
        expect(Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":")).toBe(mac)
      })
    )
  })
})
