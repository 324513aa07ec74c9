/**
 * Argument parsing and client-side validation of every subcommand: the command each
 * command line produces (read back through `--socket - --json`), the error texts and the
 * exit codes of spec §11.6.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Wire } from "../../src/domain/wire.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { runClientCaptured } from "./support/run-client.js"
import { solo5Image } from "./support/solo5-image.js"

let root: string
let plainImage: string
let deviceImage: string
let smallData: string

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-args-"))
  plainImage = path.join(root, "plain.hvt")
  fs.writeFileSync(plainImage, solo5Image([]))
  deviceImage = path.join(root, "devices.hvt")
  fs.writeFileSync(deviceImage, solo5Image([{ kind: "net", name: "service" }, { kind: "block", name: "storage" }]))
  smallData = path.join(root, "data.bin")
  fs.writeFileSync(smallData, Buffer.alloc(2 * 1024 * 1024 + 1, 7))
})

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

const run = (...args: Array<string>) => runClientCaptured(args, { tempDir: root })

/** The message a command line would send, without sending it. */
const sent = async (...args: Array<string>): Promise<Wire> => {
  const r = await run(...args, "--socket", "-", "--json")
  expect(r.code, r.stdout + r.stderr).toBe(121)
  const { out } = JSON.parse(r.stdout) as { out: string }
  return Either.getOrThrow(decodeWireSync(new Uint8Array(Buffer.from(out, "hex"))))
}

const commandOf = (w: Wire) => {
  if (w.payload._tag !== "Command") throw new Error("not a command")
  return w.payload.command
}

describe("--socket - and --version", () => {
  it("prints the encoded message as a hexdump and exits 121 (spec §6.8 vector)", async () => {
    const r = await run("console", "foo", "--socket", "-")
    expect(r.code).toBe(121)
    expect(r.stdout).toBe(
      "out:\n" +
        "000000  3020 3013 0201 0504  0800 0000 0000 0000  0 0.............\n" +
        "000010  000c 043a 666f 6fa0  09a0 07a2 05a1 0302  ...:foo.........\n" +
        "000020  0114                                      ..\n\n"
    )
  })
  it("prints the version line", async () => {
    const r = await run("--version")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^version \d+\.\d+\.\d+ protocol version 5\n$/)
  })
  it("help [TOPIC]: the help of a subcommand, or the list of topics for an unknown one (124)", async () => {
    const info = await run("help", "info")
    expect(info.code).toBe(0)
    expect(info.stdout).toContain("Retrieve information about unikernels.")
    const unknown = await run("help", "nope")
    expect(unknown.code).toBe(124)
    expect(unknown.stdout.split("\n").slice(0, 2)).toEqual(["unknown command 'nope', available commands:", "policy"])
    expect(unknown.stdout).toContain("\nextract-dump\n")
  })
  it("exits 124 on an unknown subcommand or option", async () => {
    expect((await run("frobnicate")).code).toBe(124)
    expect((await run("info", "--frobnicate")).code).toBe(124)
  })
  it("exits 124 for a --tmpdir that does not exist", async () => {
    const r = await run("info", "--tmpdir", path.join(root, "missing"))
    expect(r.code).toBe(124)
    expect(r.stderr).toContain(`no '${path.join(root, "missing")}' directory`)
  })
})

describe("unikernel subcommands", () => {
  it("create: defaults", async () => {
    const w = await sent("create", "foo", plainImage)
    expect(w.header.name.toString()).toBe(":foo")
    const c = commandOf(w)
    expect(c._tag).toBe("UnikernelCreate")
    if (c._tag !== "UnikernelCreate") return
    expect(c.config).toMatchObject({
      typ: "solo5",
      compressed: false,
      failBehaviour: { _tag: "Quit" },
      startup: null,
      addName: true,
      cpuids: [0],
      memory: 32,
      blockDevices: [],
      bridges: [],
      argv: null,
      numcpus: 1,
      linuxBootPartition: null
    })
    expect(Buffer.from(c.config.image).equals(fs.readFileSync(plainImage))).toBe(true)
  })

  it("create: every flag, options after positionals, both option syntaxes", async () => {
    const w = await sent(
      "create", "tenant:web", deviceImage, "-f", "--startup=10", "--no-add-name", "--cpu", "3", "--cpu=1", "--mem=128",
      "--arg", "--hello=Hi", "--arg=x", "--block", "storage:disk1@4096", "--net=service:br0@00:80:41:AA:bb:cc",
      "--restart-on-fail", "--exit-code", "2", "--exit-code=0", "--cpus", "2", "--linux-boot", "boot", "--compression-level=9"
    )
    const c = commandOf(w)
    expect(c._tag).toBe("UnikernelForceCreate")
    if (c._tag !== "UnikernelForceCreate") return
    expect(c.config).toMatchObject({
      compressed: true,
      failBehaviour: { _tag: "Restart", exitCodes: [0, 2] },
      startup: 10,
      addName: false,
      cpuids: [1, 3],
      memory: 128,
      blockDevices: [{ name: "storage", device: "disk1", sectorSize: 4096 }],
      bridges: [{ netif: "service", bridge: "br0", mac: "00:80:41:aa:bb:cc" }],
      argv: ["--hello=Hi", "x"],
      numcpus: 2,
      linuxBootPartition: "boot"
    })
  })

  it("create: --restart without exit codes restarts on all; bhyve sends an empty image", async () => {
    const c = commandOf(await sent("create", "vm", plainImage, "--typ", "bhyve", "--restart"))
    if (c._tag !== "UnikernelCreate") throw new Error(c._tag)
    expect(c.config.typ).toBe("bhyve")
    expect(c.config.image.length).toBe(0)
    expect(c.config.failBehaviour).toEqual({ _tag: "Restart", exitCodes: null })
  })

  it("create: validation errors exit 124 with the reference's texts", async () => {
    const cases: Array<[Array<string>, string]> = [
      [["create", "a", deviceImage, "--net", "service", "--net", "service:br1", "--block", "storage"], "Bridge names must be a set"],
      [["create", "a", deviceImage, "--net", "service", "--block", "storage", "--block", "storage:x"], "Block devices must be a set"],
      [["create", "a", plainImage, "--block", "disk@100"], "sector size must be a power of two greater than or equal 512"],
      [["create", "a", plainImage, "--block", "disk@big"], "sector size must be an integer"],
      [["create", "a", plainImage, "--block", "a:b:c"], "format is 'name' or 'name:device-name'"],
      [["create", "a", plainImage, "--net", "a@b@c"], "format is [name:]bridge[@mac]"],
      [["create", "a", plainImage, "--net", "service@zz:zz"], "invalid MAC address zz:zz"],
      [["create", "a", plainImage, "--net", "service"], 'specified bridge(s) does not match with the manifest. Devices present in manifest: '],
      [
        ["create", "a", deviceImage, "--net", "service"],
        'specified block device(s) does not match with manifest. Devices present in manifest: net "service", block "storage"'
      ],
      [["create", "a", deviceImage, "--net", "other", "--block", "storage"], "specified bridge(s) does not match with the manifest"],
      [["create", "a", path.join(root, "nope.hvt")], "no '"],
      [["create", "in_valid", plainImage], "invalid name"],
      [["create", "a", plainImage, "--typ", "xen"], ""],
      [["create", "a", plainImage, "--mem", "lots"], ""],
      [["create", "a", plainImage, "--compression-level", "10"], "must be between 0 and 9"],
      [["create", "a", smallData], "not an ELF file"]
    ]
    for (const [args, text] of cases) {
      const r = await run(...args, "--socket", "-")
      expect(r.code, args.join(" ")).toBe(124)
      expect(r.stdout + r.stderr, args.join(" ")).toContain(text)
    }
  })

  it("restart: without and with --replace-arguments", async () => {
    expect(commandOf(await sent("restart", "foo"))).toEqual({ _tag: "UnikernelRestart", args: null })
    const c = commandOf(await sent("restart", "foo", "--replace-arguments", "--mem", "64", "--arg", "a", "--net", "service"))
    if (c._tag !== "UnikernelRestart" || c.args === null) throw new Error("expected arguments")
    expect(c.args).toMatchObject({ memory: 64, argv: ["a"], bridges: [{ netif: "service", bridge: null, mac: null }], cpuids: [0] })
    const dup = await run("restart", "foo", "--replace-arguments", "--net", "a", "--net", "a", "--socket", "-")
    expect(dup.code).toBe(124)
    expect(dup.stderr).toContain("Bridge names must be a set")
  })

  it("destroy, info, get", async () => {
    expect(commandOf(await sent("destroy", "a:b"))).toEqual({ _tag: "UnikernelDestroy" })
    const all = await sent("info")
    expect(all.header.name.toString()).toBe(":")
    expect(commandOf(all)).toEqual({ _tag: "UnikernelInfo" })
    expect((await sent("info", "-n", "tenant:x")).header.name.toString()).toBe("tenant:x")
    expect(commandOf(await sent("get", "foo"))).toEqual({ _tag: "UnikernelGet", level: 0 })
    expect(commandOf(await sent("get", "foo", "--compression-level", "4"))).toEqual({ _tag: "UnikernelGet", level: 4 })
    expect((await run("destroy", "--socket", "-")).code).toBe(124)
  })
})

describe("console and stats subcommands", () => {
  it("console: --count (default 20), --since RFC 3339 or a date", async () => {
    expect(commandOf(await sent("console", "foo"))).toEqual({ _tag: "ConsoleSubscribe", query: { _tag: "Count", count: 20n } })
    expect(commandOf(await sent("console", "foo", "--count", "3"))).toEqual({
      _tag: "ConsoleSubscribe",
      query: { _tag: "Count", count: 3n }
    })
    expect(commandOf(await sent("console", "foo", "--since", "2024-01-02T03:04:05+01:00"))).toEqual({
      _tag: "ConsoleSubscribe",
      query: { _tag: "Since", since: new Date("2024-01-02T02:04:05Z") }
    })
    expect(commandOf(await sent("console", "foo", "--since=2024-01-02"))).toEqual({
      _tag: "ConsoleSubscribe",
      query: { _tag: "Since", since: new Date("2024-01-02T00:00:00Z") }
    })
    const bad = await run("console", "foo", "--since", "yesterday", "--socket", "-")
    expect(bad.code).toBe(124)
    expect(bad.stderr).toContain("couldn't parse timestamp")
  })

  it("inactive-consoles, stats, stats-add, stats-remove", async () => {
    const inactive = await sent("inactive-consoles", "-p", "tenant")
    expect(inactive.header.name.toString()).toBe("tenant:")
    expect(commandOf(inactive)).toEqual({ _tag: "ConsoleListInactive" })
    expect(commandOf(await sent("stats", "-n", "foo"))).toEqual({ _tag: "StatsSubscribe" })
    expect(commandOf(await sent("stats-remove", "--name", "foo"))).toEqual({ _tag: "StatsRemove" })
    expect(commandOf(await sent("stats-add", "42", "--vmmdev", "solo5-1", "--bridge", "service:tap0", "-n", "foo"))).toEqual({
      _tag: "StatsAdd",
      vmmdev: "solo5-1",
      pid: 42,
      taps: [{ bridge: "service", tap: "tap0" }]
    })
    expect(commandOf(await sent("stats-add", "42"))).toEqual({ _tag: "StatsAdd", vmmdev: "", pid: 42, taps: [] })
    const bad = await run("stats-add", "42", "--bridge", "nocolon", "--socket", "-")
    expect(bad.code).toBe(124)
    expect(bad.stderr).toContain("broken, format is bridge:tap")
  })
})

describe("policy subcommands", () => {
  it("policy and remove-policy default to the root path", async () => {
    const info = await sent("policy")
    expect(info.header.name.toString()).toBe(":")
    expect(commandOf(info)).toEqual({ _tag: "PolicyInfo" })
    const remove = await sent("remove-policy")
    expect(remove.header.name.toString()).toBe(":")
    expect(commandOf(remove)).toEqual({ _tag: "PolicyRemove" })
    expect((await sent("remove-policy", "--path", "a:b")).header.name.toString()).toBe("a:b:")
  })

  it("add-policy / replace-policy: defaults, sets, aliases", async () => {
    for (const sub of ["add-policy", "replace-policy"]) {
      const w = await sent(sub, "tenant", "5")
      expect(w.header.name.toString()).toBe("tenant:")
      expect(commandOf(w)).toEqual({
        _tag: "PolicyAdd",
        policy: { unikernels: 5n, cpuids: [0], memory: 512, block: null, bridges: [] }
      })
    }
    const c = commandOf(await sent("add-policy", "t", "2", "--cpu", "2", "--cpu", "1", "--block", "100", "--network", "b", "--bridge", "a"))
    expect(c).toEqual({ _tag: "PolicyAdd", policy: { unikernels: 2n, cpuids: [1, 2], memory: 512, block: 100, bridges: ["a", "b"] } })
  })

  it("add-policy: warnings and unusable policies", async () => {
    const warned = await run("add-policy", "t", "2", "--cpu", "1", "--cpu", "1", "--bridge", "x", "--bridge", "x", "--socket", "-")
    expect(warned.code).toBe(121)
    expect(warned.stdout).toContain("albatross-client: [WARNING] Bridges is not a set\n")
    expect(warned.stdout).toContain("albatross-client: [WARNING] CPUids is not a set\n")
    const noNet = await run("add-policy", "t", "2", "--socket", "-")
    expect(noNet.stdout).toContain("albatross-client: [WARNING] policy without any network access\n")
    const cases: Array<[Array<string>, string]> = [
      [["add-policy", "t", "0"], "Unusable policy with no unikernels"],
      [["add-policy", "t", "1", "--mem", "16"], "Unusable policy with memory 16 MB <= 16 MB"],
      [["add-policy", "t", "1", "--size", "-1"], "Unusable policy with block -1 MB < 0 MB"]
    ]
    for (const [args, text] of cases) {
      const r = await run(...args, "--socket", "-")
      expect(r.code).toBe(124)
      expect(r.stdout).toBe(`albatross-client: [ERROR] ${text}\n`)
    }
    expect((await run("add-policy", "t", "many", "--socket", "-")).code).toBe(124)
    expect((await run("add-policy", "bad_path", "1", "--socket", "-")).code).toBe(124)
  })
})

describe("block subcommands", () => {
  it("block, create-block, destroy-block, dump-block", async () => {
    const info = await sent("block")
    expect(info.header.name.toString()).toBe(":")
    expect(commandOf(info)).toEqual({ _tag: "BlockInfo" })
    expect((await sent("block", "--name", "disk")).header.name.toString()).toBe(":disk")
    expect(commandOf(await sent("create-block", "disk", "10"))).toEqual({ _tag: "BlockAdd", size: 10 })
    expect(commandOf(await sent("destroy-block", "disk"))).toEqual({ _tag: "BlockRemove" })
    expect(commandOf(await sent("dump-block", "disk", "--compression-level", "6"))).toEqual({ _tag: "BlockDump", level: 6 })
  })

  it("set-block: compressed flag follows the level", async () => {
    expect(commandOf(await sent("set-block", "disk", smallData))).toEqual({ _tag: "BlockSet", compressed: false })
    expect(commandOf(await sent("set-block", "disk", smallData, "--compression-level", "1"))).toEqual({
      _tag: "BlockSet",
      compressed: true
    })
    expect((await run("set-block", "disk", path.join(root, "missing"), "--socket", "-")).code).toBe(124)
  })

  it("create-block --data: the data must fit", async () => {
    const tooBig = await run("create-block", "disk", "2", "--data", smallData, "--socket", "-")
    expect(tooBig.code).toBe(124)
    expect(tooBig.stderr).toContain("data exceeds size")
    const zero = await run("create-block", "disk", "0", "--data", smallData, "--socket", "-")
    expect(zero.code).toBe(124)
    expect(zero.stderr).toContain("overflow while computing bytes")
    expect((await run("create-block", "disk", "3", "--data", smallData, "--socket", "-")).code).toBe(121)
  })
})
