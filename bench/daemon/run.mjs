#!/usr/bin/env node
// albatrossd latency, memory and restore time (issue 3), against the built daemon (dist/) run as
// a child process, over the real socket, with a shell tender stand-in (tender.sh: `sleep`) and a
// console stand-in in this process (answers Console_add after opening the FIFO).
// Figures: create and destroy latency with 0 and with 200 unikernels running (client side,
// p50/p99); info latency with 200 and 1,000 running; daemon RSS with 200 and 1,000 running;
// restore time of a 200- and a 1,000-unikernel state file (daemon start until all run).
// Knobs (environment): ITER=50 BIG=1000 SETTLE_MS=10000 (idle time before the settled RSS) DEBUG=1, ONLY_ZERO=1 (stop after the create/destroy pairs with 0 running), SERIES=1 (every create and destroy latency, in order), DIST=<an absolute path to a dist/ directory> to compare builds,
// IMAGE_KIB=<n> pads the image with n KiB of random bytes, RUNDIR_PARENT=<dir> for the runtime directory (default /dev/shm, a tmpfs; see below),
// DAEMON_NODE_FLAGS="..." node options for the daemon (default: those of its #! line; the environment assignments of that line apply either way), DAEMON_STDOUT=<file> appends the daemon's
// stdout to a file (for --trace-gc and the like), DAEMON_CMD=<an executable> runs another albatrossd instead of
// ours (the OCaml one, for a comparison on the same machine: it gets the same arguments; node flags do not apply).
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../..")
const dist = process.env.DIST ?? path.join(root, "dist")
const { encodeWireSync, decodeWireSync } = await import(path.join(dist, "wire/index.js"))
const { encodeFrame } = await import(path.join(dist, "wire/framing.js"))
const { Name } = await import(path.join(dist, "domain/name.js"))

const ITER = Number(process.env.ITER ?? 50)
const BIG = Number(process.env.BIG ?? 1000)
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 10000)
// the image's size: the default (1 KiB) measures the daemon's own work; a real unikernel is a
// few MiB, and the state file holds every image (reference format), so each change rewrites them
const IMAGE_KIB = Number(process.env.IMAGE_KIB ?? 0)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-bench-"))
// the runtime directory (images, FIFOs, sockets) on a tmpfs, as /run/albatross is on a real
// host, and dbdir (the state file) on disk: with both on the same journalled file system every
// image write would wait behind the state file's fsyncs, which an operator's host does not do.
// RUNDIR_PARENT overrides (an empty value: next to dbdir, on disk).
const runParent = process.env.RUNDIR_PARENT ?? (fs.existsSync("/dev/shm") ? "/dev/shm" : "")
const runDir = runParent === "" ? dir : fs.mkdtempSync(path.join(runParent, "albatrossd-bench-run-"))
const tmpdir = path.join(runDir, "run")
const dbdir = path.join(dir, "db")
for (const d of [path.join(tmpdir, "util"), path.join(tmpdir, "fifo"), path.join(dbdir, "block")]) fs.mkdirSync(d, { recursive: true })
fs.symlinkSync(path.join(here, "tender.sh"), path.join(dbdir, "solo5-hvt"))
const imageFile = path.join(dir, "image.hvt")
const made = spawnSync(path.join(root, "node_modules/.bin/vite-node"), [path.join(here, "make-image.ts"), imageFile, String(IMAGE_KIB)], { cwd: root, stdio: "inherit" })
if (made.status !== 0) throw new Error("could not build the Solo5 image")
const image = new Uint8Array(fs.readFileSync(imageFile))

const nameOf = (s) => {
  const n = Name.fromString(s)
  if (n._tag !== "Right") throw new Error(`bad name ${s}`)
  return n.right
}
const frame = (n, command, sequence = 0n) => {
  const e = encodeWireSync({ header: { version: 5, sequence, name: nameOf(n) }, payload: { _tag: "Command", command } })
  if (e._tag !== "Right") throw new Error(e.left.message)
  return Buffer.from(encodeFrame(e.right))
}
const config = {
  typ: "solo5", compressed: false, image, failBehaviour: { _tag: "Quit" }, startup: null, addName: false,
  cpuids: [0], memory: 1, blockDevices: [], bridges: [], argv: null, numcpus: 1, linuxBootPartition: null
}

/** Reads length-prefixed frames from a socket. */
const frames = (socket, onFrame) => {
  let buf = Buffer.alloc(0)
  socket.on("data", (c) => {
    buf = Buffer.concat([buf, c])
    while (buf.length >= 4) {
      const len = buf.readInt32BE(0)
      if (buf.length < 4 + len) break
      onFrame(buf.subarray(4, 4 + len))
      buf = buf.subarray(4 + len)
    }
  })
}

// the console stand-in
const fifoReaders = []
const consoleServer = net.createServer((socket) => {
  frames(socket, (payload) => {
    const w = decodeWireSync(new Uint8Array(payload))
    if (w._tag !== "Right") return
    const { header } = w.right
    const fd = fs.openSync(path.join(tmpdir, "fifo", header.name.toString()), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const reader = new net.Socket({ fd, readable: true, writable: false })
    reader.on("data", () => {})
    reader.on("error", () => {})
    fifoReaders.push(reader)
    const e = encodeWireSync({ header, payload: { _tag: "Success", success: { _tag: "Empty" } } })
    socket.write(Buffer.from(encodeFrame(e.right)))
  })
})
await new Promise((r) => consoleServer.listen(path.join(tmpdir, "util", "console.sock"), r))

/** One request on a fresh connection; resolves with [reply, milliseconds]. */
const request = (n, command) =>
  new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const s = net.createConnection({ path: path.join(tmpdir, "util", "vmmd.sock") }, () => s.write(frame(n, command)))
    frames(s, (payload) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      s.destroy()
      const w = decodeWireSync(new Uint8Array(payload))
      if (w._tag !== "Right") return reject(new Error("undecodable reply"))
      resolve([w.right.payload, ms])
    })
    s.on("error", reject)
  })
const expectOk = ([payload, ms]) => {
  if (payload._tag !== "Success") throw new Error(`failure: ${payload.message}`)
  return ms
}

let daemon
// the node options (and environment assignments) the daemon runs with: by default those of its
// #! line (what an operator who runs the installed program gets), or DAEMON_NODE_FLAGS
const shebang = () => {
  const first = fs.readFileSync(path.join(dist, "bin/albatrossd.js"), "utf8").split("\n", 1)[0]
  const m = /^#!\/usr\/bin\/env -S (.*)$/.exec(first)
  const words = m ? m[1].split(" ").filter(Boolean) : []
  const env = {}
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const [k, ...v] = words.shift().split("=")
    env[k] = v.join("=")
  }
  if (words[0] !== "node") return { env: {}, flags: [] }
  return { env, flags: words.slice(1) }
}
const hashBang = shebang()
const nodeFlags = process.env.DAEMON_NODE_FLAGS !== undefined ? process.env.DAEMON_NODE_FLAGS.split(" ").filter(Boolean) : hashBang.flags
const daemonEnv = process.env.DAEMON_CMD ? process.env : { ...process.env, ...hashBang.env }
let log = ""
const startDaemon = async () => {
  log = ""
  // the daemon leaves its socket file behind when it stops (as the reference does) and removes
  // a stale one only once it is ready to listen: without this, the wait below could see the
  // old file and the first request find nobody listening (ECONNREFUSED)
  fs.rmSync(path.join(tmpdir, "util", "vmmd.sock"), { force: true })
  const t0 = Date.now()
  const [program, ...programArgs] = process.env.DAEMON_CMD ? [process.env.DAEMON_CMD] : [process.execPath, ...nodeFlags, path.join(dist, "bin/albatrossd.js")]
  daemon = spawn(program, [...programArgs, "--tmpdir", tmpdir, "--dbdir", dbdir, "--verbosity=error"], { env: daemonEnv, stdio: ["ignore", process.env.DAEMON_STDOUT ? fs.openSync(process.env.DAEMON_STDOUT, "a") : "ignore", "pipe"] })
  daemon.stderr.on("data", (c) => {
    log += c
    if (process.env.DEBUG) process.stderr.write(c)
  })
  while (!fs.existsSync(path.join(tmpdir, "util", "vmmd.sock"))) await sleep(5)
  return t0
}
/** CPU seconds the daemon has used so far (all its threads: user + system time, /proc/<pid>/stat). */
const daemonCpu = () => {
  const fields = fs.readFileSync(`/proc/${daemon.pid}/stat`, "utf8").split(") ")[1].split(" ")
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS }
}
const daemonCpuSeconds = () => {
  const { user, system } = daemonCpu()
  return `${(user + system).toFixed(2)} s (user ${user.toFixed(2)} s, system ${system.toFixed(2)} s)`
}
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
const stopDaemon = async () => {
  const exited = new Promise((r) => daemon.once("exit", r))
  daemon.kill("SIGTERM")
  await exited
  for (const r of fifoReaders.splice(0)) r.destroy()
}
const rss = () => {
  const status = fs.readFileSync(`/proc/${daemon.pid}/status`, "utf8")
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 }
}
/** The daemon's perl helpers (mkfifo, spawn): separate processes, so reported next to its RSS (as PSS). */
const helperPss = () => {
  let kb = 0
  for (const task of fs.readdirSync(`/proc/${daemon.pid}/task`)) {
    for (const pid of fs.readFileSync(`/proc/${daemon.pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) {
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "perl") continue
        // proportional set size: the two perl processes share the interpreter's pages
        kb += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0)
      } catch {
        // gone meanwhile
      }
    }
  }
  return kb / 1024
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms`
const running = async () => {
  const [p] = await request(":", { _tag: "UnikernelInfo" })
  return p.success.unikernels.length
}
const fill = async (from, to) => {
  for (let i = from; i < to; i++) expectOk(await request(`bench:u${i}`, { _tag: "UnikernelCreate", config }))
}
const createDestroy = async () => {
  const c = [], d = []
  for (let i = 0; i < ITER; i++) {
    c.push(expectOk(await request("probe", { _tag: "UnikernelCreate", config })))
    d.push(expectOk(await request("probe", { _tag: "UnikernelDestroy" })))
  }
  if (process.env.SERIES) console.log(`series create ${c.map((x) => x.toFixed(1)).join(" ")}\nseries destroy ${d.map((x) => x.toFixed(1)).join(" ")}`)
  return { c, d }
}
const infos = async () => {
  const xs = []
  for (let i = 0; i < ITER; i++) xs.push(expectOk(await request(":", { _tag: "UnikernelInfo" })))
  return xs
}
const results = []
const report = (k, v) => {
  results.push([k, v])
  console.log(`${k}: ${v}`)
}

try {
  await startDaemon()
  const zero = await createDestroy()
  report("create, 0 running", fmt(zero.c))
  report("destroy, 0 running", fmt(zero.d))
  if (process.env.ONLY_ZERO) {
    report("info, 0 running", fmt(await infos()))
    report("daemon CPU time, start to here", daemonCpuSeconds())
    await stopDaemon()
    process.exit()
  }
  await fill(0, 200)
  const two = await createDestroy()
  report("create, 200 running", fmt(two.c))
  report("destroy, 200 running", fmt(two.d))
  report("info, 200 running", fmt(await infos()))
  const r200 = rss()
  report("daemon RSS, 200 running", `${r200.rss.toFixed(1)} MB (peak ${r200.peak.toFixed(1)} MB)`)
  // what an operator sees once the burst of requests is over: V8 collects and gives memory back
  // when idle (its memory reducer), not right after the last request
  await sleep(SETTLE_MS)
  report(`daemon RSS, 200 running, after ${SETTLE_MS / 1000} s idle`, `${rss().rss.toFixed(1)} MB (its perl helpers: PSS ${helperPss().toFixed(1)} MB)`)
  const stateSize200 = fs.statSync(path.join(dbdir, "state")).size
  // the daemon's whole CPU time for the run so far (2 x ITER create/destroy pairs, 200 creates,
  // ITER infos): steadier than the latencies on a shared machine, so the figure for A/B runs
  report("daemon CPU time, start to here", daemonCpuSeconds())
  await stopDaemon()
  let t0 = await startDaemon()
  while ((await running()) < 200) await sleep(10)
  report("restore of 200 (start to all running)", `${((Date.now() - t0) / 1000).toFixed(2)} s (state file ${(stateSize200 / 1024).toFixed(0)} KiB)`)
  await fill(200, BIG)
  report(`info, ${BIG} running`, fmt(await infos()))
  const rBig = rss()
  report(`daemon RSS, ${BIG} running`, `${rBig.rss.toFixed(1)} MB (peak ${rBig.peak.toFixed(1)} MB)`)
  await sleep(SETTLE_MS)
  report(`daemon RSS, ${BIG} running, after ${SETTLE_MS / 1000} s idle`, `${rss().rss.toFixed(1)} MB (its perl helpers: PSS ${helperPss().toFixed(1)} MB)`)
  const stateSizeBig = fs.statSync(path.join(dbdir, "state")).size
  await stopDaemon()
  t0 = await startDaemon()
  while ((await running()) < BIG) await sleep(20)
  report(`restore of ${BIG} (start to all running)`, `${((Date.now() - t0) / 1000).toFixed(2)} s (state file ${(stateSizeBig / 1024).toFixed(0)} KiB)`)
  await stopDaemon()
} catch (e) {
  console.error(e)
  console.error(log)
  process.exitCode = 1
  daemon?.kill("SIGKILL")
} finally {
  consoleServer.close()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(runDir, { recursive: true, force: true })
}
