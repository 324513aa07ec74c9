import { describe, expect, it } from "vitest"
import { normalizeArgv } from "../../src/cli/argv.js"
import { escapeOcaml } from "../../src/cli/escape.js"
import { hexdump } from "../../src/cli/hexdump.js"
import { BREAK, FLUSH, renderLogMessage } from "../../src/cli/ocaml-format.js"

describe("normalizeArgv", () => {
  it("moves options before positional arguments and splits --opt=value", () => {
    expect(
      normalizeArgv(["add-policy", "--tmpdir=/run/albatross", "tenant2", "3", "--cpu=1", "--mem=128", "--bridge", "service"])
    ).toEqual(["add-policy", "--tmpdir", "/run/albatross", "--cpu", "1", "--mem", "128", "--bridge", "service", "tenant2", "3"])
  })
  it("keeps flags without values and values that look like options", () => {
    expect(normalizeArgv(["create", "-f", "foo", "img", "--startup", "-1", "--no-add-name", "--socket", "-"])).toEqual([
      "create", "-f", "--startup", "-1", "--no-add-name", "--socket", "-", "foo", "img"
    ])
  })
  it("treats everything after -- as positional", () => {
    expect(normalizeArgv(["create", "--", "-weird", "img"])).toEqual(["create", "-weird", "img"])
  })
  it("splits attached short option values", () => {
    expect(normalizeArgv(["info", "-nfoo"])).toEqual(["info", "-n", "foo"])
  })
})

describe("escapeOcaml (String.escaped)", () => {
  it("leaves printable ASCII, escapes quotes, backslashes, controls and high bytes", () => {
    const line = new Uint8Array([...Buffer.from('a "b" \\ '), 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x09, 0x0d, 0x08, 0x00, 0xff, 0x7f])
    expect(escapeOcaml(line)).toBe('a \\"b\\" \\\\ \\027[2J\\n\\t\\r\\b\\000\\255\\127')
  })
  it("keeps single quotes as they are", () => {
    expect(escapeOcaml(Buffer.from("ctl: cmdline='tick 0'"))).toBe("ctl: cmdline='tick 0'")
  })
})

describe("hexdump (Ohex.pp_hexdump layout)", () => {
  it("renders the console command vector of spec §6.8", () => {
    const bytes = Buffer.from("30203013020105040800000000000000000c043a666f6fa009a007a205a103020114", "hex")
    expect(hexdump(bytes)).toBe(
      "000000  3020 3013 0201 0504  0800 0000 0000 0000  0 0.............\n" +
        "000010  000c 043a 666f 6fa0  09a0 07a2 05a1 0302  ...:foo.........\n" +
        "000020  0114                                      ..\n"
    )
  })
  it("has no trailing partial line for a multiple of 16 bytes", () => {
    expect(hexdump(Buffer.from("41".repeat(16), "hex"))).toBe("000000  4141 4141 4141 4141  4141 4141 4141 4141  AAAAAAAAAAAAAAAA\n")
  })
  it("pads a 9-byte tail like the reference", () => {
    expect(hexdump(Buffer.from("414243444546474849", "hex"))).toBe(
      "000000  4142 4344 4546 4748  49                   ABCDEFGHI\n"
    )
  })
})

describe("OCaml Format emulation", () => {
  it("breaks a hint when what follows up to the next hint does not fit in 78 columns", () => {
    const long = "x".repeat(75)
    expect(renderLogMessage("", ["a", BREAK, long, BREAK, "b"])).toBe(`a ${long}\nb\n`)
  })
  it("flushes on @. and, like OCaml, breaks every hint left pending after it", () => {
    // the second unikernel of an `info` reply wraps this way in the reference's output
    expect(renderLogMessage("", ["one", FLUSH, "two", BREAK, "three"])).toBe("one\ntwo\nthree\n")
  })
  it("opens the message box after the warning header", () => {
    expect(renderLogMessage("albatross-client: [WARNING] ", ["host [unikernel: :]: command failed x"])).toBe(
      "albatross-client: [WARNING] host [unikernel: :]: command failed x\n"
    )
  })
})
