#!/usr/bin/env node
// albatross-console throughput and memory (issue 4), against the built daemon (dist/) run as a
// child process:
// 1. lines/s from a FIFO to 1 and to 5 subscribers: a writer process writes N lines of 60 bytes
//    (59 + newline) into a real FIFO as fast as the pipe takes them; the subscribers (sockets in
//    this process, counting frames by their length prefixes) report how many lines they got;
//    the rate is N / (time from the writer's start to the last line received), lines lost =
//    N - lines received (a subscriber that cannot keep up loses lines, it is not disconnected).
// 2. daemon RSS with 1,000 unikernels, each with a full ring (1,024 lines of 60 bytes).
// Target: 320,000 lines/s to one subscriber with none lost (twice the OCaml albatross-console).
// Each case runs flat out (the writer as fast as the pipe takes it: the daemon's ceiling, and
// what a subscriber that cannot keep up loses) and paced at the target rate RATE.
// Each case gets a fresh daemon.
// Knobs (environment): LINES=2000000 RATE=320000 UNIKERNELS=1000 DEBUG=1 (daemon log on stderr).
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const dist = path.resolve(here, "../../dist")
const { encodeWireSync } = await import(path.join(dist, "wire/index.js"))
const { encodeFrame } = await import(path.join(dist, "wire/framing.js"))
const { Name } = await import(path.join(dist, "domain/name.js"))

const LINES = Number(process.env.LINES ?? 2_000_000)
const UNIKERNELS = Number(process.env.UNIKERNELS ?? 1000)
const RATE = Number(process.env.RATE ?? 320_000)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const nameOf = (s) => {
  const n = Name.fromString(s)
  if (n._tag !== "Right") throw new Error(`bad name ${s}`)
  return n.right
}
const frame = (n, command) => {
  const e = encodeWireSync({ header: { version: 5, sequence: 0n, name: nameOf(n) }, payload: { _tag: "Command", command } })
  if (e._tag !== "Right") throw new Error(e.left.message)
  return Buffer.from(encodeFrame(e.right))
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "console-bench-"))
fs.mkdirSync(path.join(dir, "util"))
fs.mkdirSync(path.join(dir, "fifo"))
const sock = path.join(dir, "util", "console.sock")

let daemon
let log = ""
const startDaemon = async () => {
  daemon?.kill()
  log = ""
  daemon = spawn(process.execPath, [path.join(dist, "bin/albatross-console.js"), "--tmpdir", dir, "--max-subscribers", "10"], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  daemon.stderr.on("data", (c) => {
    log += c
    if (process.env.DEBUG) process.stderr.write(c)
  })
  for (let i = 0; !log.includes("listening on"); i++) {
    if (i > 300) throw new Error(`daemon did not start: ${log}`)
    await sleep(20)
  }
}

const rssMB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${daemon.pid}/status`, "utf8"))
  return Number(m[1]) / 1024
}

/** A client that counts frames; resolves its first reply. */
const client = (request) =>
  new Promise((resolve, reject) => {
    const s = net.createConnection(sock)
    const state = { socket: s, frames: 0, last: 0, pending: 0, replied: false }
    // frames are counted without copying: only the 4-byte length prefixes are looked at
    let skip = 0 // body bytes of the current frame still to pass
    const header = Buffer.alloc(4)
    let headerFill = 0
    s.on("connect", () => s.write(request))
    s.on("error", reject)
    s.on("data", (buf) => {
      let pos = 0
      let n = 0
      while (pos < buf.length) {
        if (skip > 0) {
          const k = Math.min(skip, buf.length - pos)
          skip -= k
          pos += k
          if (skip === 0) n++
          continue
        }
        if (headerFill === 0 && buf.length - pos >= 4) {
          skip = buf.readInt32BE(pos)
          pos += 4
        } else {
          header[headerFill++] = buf[pos++]
          if (headerFill < 4) continue
          headerFill = 0
          skip = header.readInt32BE(0)
        }
        if (skip === 0) n++
      }
      if (n > 0) {
        if (!state.replied) {
          state.replied = true
          n--
          resolve(state)
        }
        state.frames += n
        state.last = performance.now()
      }
    })
  })

const mkfifo = (n) => {
  const p = path.join(dir, "fifo", n)
  execFileSync("mkfifo", [p])
  return p
}

// the writer: another process writing 60-byte lines in 64 KiB writes, as fast as the pipe allows
// (rate 0: flat out; otherwise paced at `rate` lines/s, in writes of at most 64 KiB)
const writerSource = `
const fs = require("fs")
const [file, total, rate] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])]
const line = (i) => (String(i).padStart(10, "0") + " " + "x".repeat(48) + "\\n")
const per = 1092
const fd = fs.openSync(file, "w")
const start = performance.now()
const nap = new Int32Array(new SharedArrayBuffer(4))
for (let i = 0; i < total; ) {
  let n = per
  if (rate > 0) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - i
    if (due <= 0) { Atomics.wait(nap, 0, 0, 1); continue }
    n = Math.min(per, due)
  }
  let s = ""
  for (let k = 0; k < n && i < total; k++, i++) s += line(i)
  fs.writeSync(fd, s)
}
fs.closeSync(fd)
`

const throughput = async (subscribers, rate) => {
  await startDaemon()
  const n = `:t${subscribers}r${rate}`
  const fifo = mkfifo(n)
  const link = await client(frame(n, { _tag: "ConsoleAdd", n: 10n }))
  const subs = []
  for (let i = 0; i < subscribers; i++) subs.push(await client(frame(n, { _tag: "ConsoleSubscribe", query: { _tag: "Count", count: 0n } })))
  const rssBefore = rssMB()
  const t0 = performance.now()
  const w = spawn(process.execPath, ["-e", writerSource, fifo, String(LINES), String(rate)], { stdio: "inherit" })
  const writerDone = new Promise((r) => w.on("exit", () => r(performance.now())))
  // wait until all lines arrived, or nothing moved for 2 s after the writer finished
  let tw
  for (;;) {
    await sleep(20)
    if (subs.every((s) => s.frames >= LINES)) break
    tw ??= await Promise.race([writerDone, sleep(0).then(() => undefined)])
    const lastMove = Math.max(...subs.map((s) => s.last))
    if (tw !== undefined && performance.now() - Math.max(lastMove, tw) > 2000) break
  }
  const tEnd = Math.max(...subs.map((s) => s.last))
  const received = subs.map((s) => s.frames)
  const seconds = (tEnd - t0) / 1000
  const result = {
    subscribers,
    writer: rate === 0 ? "flat out" : `paced at ${rate} lines/s`,
    lines: LINES,
    seconds: Number(seconds.toFixed(2)),
    linesPerSecond: Math.round(Math.min(...received) / seconds),
    lost: received.map((r) => LINES - r),
    rssMB: Math.round(Math.max(rssBefore, rssMB()))
  }
  for (const s of subs) s.socket.destroy()
  link.socket.destroy()
  return result
}

const ringsRss = async () => {
  await startDaemon()
  await sleep(500)
  const baseline = rssMB()
  const link = await client(frame(":r0", { _tag: "ConsoleListInactive" }))
  link.socket.destroy()
  const fifos = []
  const addConn = net.createConnection(sock)
  await new Promise((r) => addConn.on("connect", r))
  let replies = 0
  addConn.on("data", (c) => {
    // replies are all `Success Empty` of equal size; count them by length prefixes
    let pos = 0
    while (pos + 4 <= c.length) {
      replies++
      pos += 4 + c.readInt32BE(pos)
    }
  })
  for (let i = 0; i < UNIKERNELS; i++) {
    fifos.push(mkfifo(`rss:u${i}`))
    addConn.write(frame(`rss:u${i}`, { _tag: "ConsoleAdd", n: BigInt(UNIKERNELS) }))
  }
  while (replies < UNIKERNELS) await sleep(10)
  const filler = `
const fs = require("fs")
const files = process.argv.slice(1)
let s = ""
for (let i = 0; i < 1024; i++) s += (String(i).padStart(10, "0") + " " + "y".repeat(48) + "\\n")
for (const f of files) { const fd = fs.openSync(f, "w"); fs.writeSync(fd, s); fs.closeSync(fd) }
`
  const w = spawn(process.execPath, ["-e", filler, ...fifos], { stdio: "inherit" })
  await new Promise((r) => w.on("exit", r))
  await sleep(2000)
  const rss = rssMB()
  addConn.destroy()
  return { unikernels: UNIKERNELS, linesPerRing: 1024, lineBytes: 60, baselineRssMB: Math.round(baseline), rssMB: Math.round(rss) }
}

try {
  const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}`
  console.log(`albatross-console benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine}`)
  for (const rate of [0, RATE]) {
    for (const s of [1, 5]) console.log(JSON.stringify({ case: "fifo to subscribers", ...(await throughput(s, rate)) }))
  }
  console.log(JSON.stringify({ case: "full rings", ...(await ringsRss()) }))
} finally {
  daemon?.kill()
  fs.rmSync(dir, { recursive: true, force: true })
}
