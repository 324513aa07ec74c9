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

describe("stats printing (Stats.pp)", () => {
  it("prints vmm counters one per line, interfaces separated by an empty line, %Lu as unsigned", async () => {
    const { dataPieces } = await import("../../src/cli/human.js")
    const tv = { sec: 1n, usec: 5 }
    const rusage = {
      utime: tv, stime: tv, maxrss: -1n, ixrss: 0n, idrss: 0n, isrss: 0n, minflt: 0n, majflt: 0n, nswap: 0n,
      inblock: 0n, outblock: 0n, msgsnd: 0n, msgrcv: 0n, nsignals: 0n, nvcsw: 0n, nivcsw: 0n
    }
    const ifdata = (name: string) => ({
      bridge: name, flags: -1, sendLength: 0, maxSendLength: 0, sendDrops: 0, mtu: 1500, baudrate: 0n, inputPackets: 1n,
      inputErrors: 0n, outputPackets: 2n, outputErrors: 0n, collisions: 0n, inputBytes: 3n, outputBytes: 4n, inputMcast: 0n,
      outputMcast: 0n, inputDropped: 0n, outputDropped: 0n
    })
    const text = renderLogMessage(
      "",
      dataPieces({
        _tag: "StatsData",
        stats: { rusage, kinfoMem: null, vmm: [{ key: "Resident memory", value: -2n }, { key: "exits", value: 7n }], ifdata: [ifdata("a"), ifdata("b")] }
      })
    )
    const lines = text.split("\n")
    expect(lines[0]).toMatch(/^stats: utime 1\.000005 stime 1\.000005 maxrss 18446744073709551615 ixrss 0 /)
    expect(lines.slice(1, 4)).toEqual(["no kinfo_mem stats", "Resident memory: -2", "exits: 7"])
    expect(lines[4]).toMatch(/^bridge a flags FFFFFFFF send_length 0 max_send_length 0 send_drops 0 mtu 1500 baudrate 0 input_packets 1 /)
    expect(lines[5]).toBe("")
    expect(lines[6]).toMatch(/^bridge b /)
    expect(lines[7]).toBe("")
    expect(lines).toHaveLength(8)
  })
})
