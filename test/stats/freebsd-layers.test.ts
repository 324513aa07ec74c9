/**
 * The FreeBSD layers end to end on this machine: the base tools are stood in for by scripts on
 * PATH that print the fixtures (and record their arguments), so the layers' command lines,
 * error paths and parsing run for real.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freebsdInterfaceStatsLayer } from "../../src/layers/freebsd/interface-stats.js"
import { freebsdProcessStatsLayer } from "../../src/layers/freebsd/process-stats.js"
import { freebsdVmmStatsLayer } from "../../src/layers/freebsd/vmm-stats.js"
import { InterfaceStats } from "../../src/services/interface-stats.js"
import { ProcessStats } from "../../src/services/process-stats.js"
import { VmmStats } from "../../src/services/vmm-stats.js"

const fixtures = path.join(__dirname, "fixtures/freebsd")
const bin = fs.mkdtempSync(path.join(os.tmpdir(), "freebsd-tools-"))
const devVmm = fs.mkdtempSync(path.join(os.tmpdir(), "dev-vmm-"))
const calls = path.join(bin, "calls.log")
const savedPath = process.env["PATH"]

/** A stand-in tool: logs its arguments, prints a fixture when the arguments match, else fails. */
const tool = (name: string, cases: ReadonlyArray<readonly [string, string]>) => {
  const lines = ["#!/bin/sh", `echo "${name} $*" >> ${calls}`, 'case "$*" in']
  for (const [args, fixture] of cases) lines.push(`  "${args}") cat ${path.join(fixtures, fixture)} ;;`)
  lines.push(`  *) echo "${name}: no such process or interface" >&2; exit 1 ;;`, "esac")
  fs.writeFileSync(path.join(bin, name), `${lines.join("\n")}\n`, { mode: 0o755 })
}

beforeAll(() => {
  tool("procstat", [["-r 4711", "procstat-r.txt"]])
  tool("ps", [["-ww -p 4711 -o vsz= -o rss= -o tsiz= -o dsiz= -o ssiz= -o cow= -o lstart=", "ps-kinfo.txt"]])
  tool("ifconfig", [["tap0", "ifconfig-tap0.txt"]])
  tool("netstat", [["-I tap0 -b -d -n -W", "netstat-tap0.txt"]])
  tool("bhyvectl", [["--vm=solo5-4711 --get-stats", "bhyvectl-stats.txt"]])
  fs.writeFileSync(path.join(bin, "sysctl"), "#!/bin/sh\necho 4096\n", { mode: 0o755 })
  fs.writeFileSync(path.join(devVmm, "solo5-4711"), "")
  process.env["PATH"] = `${bin}:${savedPath}`
})
afterAll(() => {
  process.env["PATH"] = savedPath
})

const layer = Layer.mergeAll(freebsdProcessStatsLayer, freebsdInterfaceStatsLayer, freebsdVmmStatsLayer(devVmm))

describe("FreeBSD layers with stand-in tools", () => {
  it("process: procstat and ps for the pid; a process that is not visible fails", async () => {
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* ProcessStats
        const w = yield* source.watch(4711)
        const s = yield* w.sample
        const gone = yield* Effect.either((yield* source.watch(4712)).sample)
        return { s, gone }
      }).pipe(Effect.provide(layer))
    )
    expect(r.s.rusage.nvcsw).toBe(12345n)
    expect(r.s.kinfoMem?.rss).toBe(9220n)
    expect(Either.isLeft(r.gone)).toBe(true)
    expect(fs.readFileSync(calls, "utf8")).toContain("procstat -r 4711")
  })

  it("interface: an unknown tap is refused at watch; a known one samples ifconfig and netstat", async () => {
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* InterfaceStats
        const unknown = yield* Effect.either(source.watch("tap9"))
        const w = yield* source.watch("tap0")
        return { unknown, d: yield* w.sample }
      }).pipe(Effect.provide(layer))
    )
    expect(Either.isLeft(r.unknown)).toBe(true)
    expect(r.d.outputBytes).toBe(2097152n)
    expect(r.d.flags).toBe(0x1008943)
  })

  it("vmm: opens when /dev/vmm/<name> is accessible, samples bhyvectl; other devices fail to open", async () => {
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* VmmStats
        const missing = yield* Effect.either(source.open("solo5-1"))
        const bad = yield* Effect.either(source.open("../etc"))
        const h = yield* source.open("solo5-4711")
        return { missing, bad, stats: yield* h.sample }
      }).pipe(Effect.provide(layer))
    )
    expect(Either.isLeft(r.missing)).toBe(true)
    expect(Either.isLeft(r.bad)).toBe(true)
    expect(r.stats.map((s) => s.key)).toContain("Resident memory")
  })
})
