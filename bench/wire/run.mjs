#!/usr/bin/env node
// Wire codec benchmark (issue 2 §6), against the built dist/: `npm run build && node --expose-gc bench/wire/run.mjs`.
// Cases: a Unikernel_info reply with 100 unikernels (2 bridges, 1 block, 4 argv each); a create
// command carrying a 10 MB image; a state file of 1,000 unikernels. Each case runs in its own
// child process so that its peak RSS is its own. Prints a markdown table.
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const here = fileURLToPath(import.meta.url)
const dist = new URL("../../dist/", import.meta.url)

const CASES = ["info-100", "create-10mb", "state-1000"]

const config = (i, image) => ({
  typ: "solo5",
  compressed: false,
  image,
  failBehaviour: { _tag: "Restart", exitCodes: [1, 64] },
  startup: 50,
  addName: true,
  cpuids: [i % 4],
  memory: 64,
  blockDevices: [{ name: "data", device: `data-${i}`, sectorSize: 512 }],
  bridges: [
    { netif: "service", bridge: "br0", mac: null },
    { netif: "management", bridge: "br1", mac: "00:80:41:00:00:01" }
  ],
  argv: ["--ipv4=10.0.0.2/24", "--ipv4-gateway=10.0.0.1", "-l", "*:debug"],
  numcpus: 1,
  linuxBootPartition: null
})

const info = (i) => ({
  typ: "solo5",
  failBehaviour: { _tag: "Restart", exitCodes: null },
  startup: 50,
  cpuids: [i % 4],
  memory: 64,
  blockDevices: [{ unikernelDevice: "data", hostDevice: `tenant:data-${i}`, sectorSize: 512, size: 128 }],
  bridges: [
    { unikernelDevice: "service", hostDevice: "br0", mac: "00:80:41:12:34:56" },
    { unikernelDevice: "management", hostDevice: "br1", mac: "00:80:41:ab:cd:ef" }
  ],
  argv: ["--ipv4=10.0.0.2/24", "--ipv4-gateway=10.0.0.1", "-l", "*:debug"],
  digest: new Uint8Array(32).fill(i & 0xff),
  started: new Date(Date.UTC(2026, 10, 22, 8, 50, 42, 807)),
  numcpus: 1,
  linuxBootPartition: null
})

const gc = () => globalThis.gc?.()

/** Runs `f` for at least `minMs` (after a warm-up) and returns ms per operation. */
const time = (f, minMs = 1000) => {
  for (let i = 0; i < 20; i++) f()
  gc()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs) {
    for (let i = 0; i < 10; i++) f()
    n += 10
    now = performance.now()
  }
  return (now - start) / n
}

const right = (e) => {
  if (e._tag !== "Right") throw new Error(`codec failed: ${e.left.message}`)
  return e.right
}

const runCase = async (name) => {
  const wire = await import(new URL("wire/index.js", dist).href)
  const { Name } = await import(new URL("domain/name.js", dist).href)
  const header = { version: 5, sequence: 1n, name: Name.of(["tenant"], "web") }
  const rows = []
  const row = (op, bytes, ms, extra = "") =>
    rows.push({ op, bytes, ms, opsPerSec: 1000 / ms, mbPerSec: bytes / 1e6 / (ms / 1000), extra })

  if (name === "info-100") {
    const value = {
      header,
      payload: {
        _tag: "Success",
        success: {
          _tag: "UnikernelInfo",
          unikernels: Array.from({ length: 100 }, (_, i) => ({ name: Name.of(["tenant"], `unikernel-${i}`), info: info(i) }))
        }
      }
    }
    const bytes = right(wire.encodeWireSync(value))
    row("encode Unikernel_info reply, 100 unikernels", bytes.length, time(() => right(wire.encodeWireSync(value))))
    row("decode Unikernel_info reply, 100 unikernels", bytes.length, time(() => right(wire.decodeWireSync(bytes))))
  } else if (name === "create-10mb") {
    const image = new Uint8Array(10 * 1024 * 1024)
    for (let i = 0; i < image.length; i += 4096) image[i] = i & 0xff
    const value = { header, payload: { _tag: "Command", command: { _tag: "UnikernelCreate", config: config(0, image) } } }
    let bytes = right(wire.encodeWireSync(value))
    row("encode create, 10 MB image", bytes.length, time(() => right(wire.encodeWireSync(value)), 2000))
    gc()
    // memory held by a decode: the frame (one copy of the image) plus whatever decoding allocates
    const before = process.memoryUsage().arrayBuffers
    const held = right(wire.decodeWireSync(bytes))
    const after = process.memoryUsage().arrayBuffers
    const copies = 1 + (after - before) / image.length
    const view = held.payload.command.config.image.buffer === bytes.buffer
    row(
      "decode create, 10 MB image",
      bytes.length,
      time(() => right(wire.decodeWireSync(bytes)), 2000),
      `image copies held after decode: ${copies.toFixed(2)} (image is a view of the frame: ${view})`
    )
    bytes = undefined
  } else if (name === "state-1000") {
    const value = {
      unikernels: Array.from({ length: 1000 }, (_, i) => ({
        name: Name.of(["tenant", `group${i % 10}`], `unikernel-${i}`),
        config: config(i, new Uint8Array(850).fill(i & 0xff))
      })),
      policies: [
        { name: Name.root, policy: { unikernels: 4611686018427387903n, cpuids: [0, 1, 2, 3], memory: 1_000_000, block: 100_000, bridges: ["br0", "br1"] } },
        { name: Name.of(["tenant"]), policy: { unikernels: 1000n, cpuids: [0, 1, 2, 3], memory: 100_000, block: 10_000, bridges: ["br0", "br1"] } }
      ]
    }
    const bytes = right(wire.encodeStateSync(value))
    row("encode state, 1,000 unikernels", bytes.length, time(() => right(wire.encodeStateSync(value))))
    row("decode state, 1,000 unikernels", bytes.length, time(() => right(wire.decodeStateSync(bytes))))
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify({ rows, peakRssMb }) + "\n")
}

if (process.argv[2] === "--case") {
  await runCase(process.argv[3])
} else {
  const wanted = process.argv.slice(2)
  const lines = [
    "| operation | size | ops/s | MB/s | ms/op | peak RSS (MB) | note |",
    "|---|---:|---:|---:|---:|---:|---|"
  ]
  let failed = false
  for (const c of CASES.filter((c) => wanted.length === 0 || wanted.includes(c))) {
    const r = spawnSync(process.execPath, ["--expose-gc", here, "--case", c], { encoding: "utf8" })
    if (r.status !== 0) {
      process.stderr.write(r.stderr)
      failed = true
      continue
    }
    const { rows, peakRssMb } = JSON.parse(r.stdout.trim().split("\n").pop())
    for (const x of rows) {
      const size = x.bytes >= 1e6 ? `${(x.bytes / 1e6).toFixed(2)} MB` : `${(x.bytes / 1e3).toFixed(1)} KB`
      lines.push(
        `| ${x.op} | ${size} | ${x.opsPerSec.toFixed(0)} | ${x.mbPerSec.toFixed(0)} | ${x.ms.toFixed(3)} | ${peakRssMb.toFixed(0)} | ${x.extra} |`
      )
    }
  }
  console.log(lines.join("\n"))
  process.exit(failed ? 1 : 0)
}
