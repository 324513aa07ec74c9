#!/usr/bin/env node
// Requests per second of `info` through the built albatross-tls-endpoint (dist/), with 1, 8
// and 32 concurrent clients, each request with a fresh ed25519 leaf made as the client does.
// The leaves (key generation + signing) are made before each measured phase, so that work
// does not compete for the CPU with the endpoint while it is measured; each is used once.
// A stand-in vmmd answers on <tmpdir>/util/vmmd.sock. Figures: requests/s, p50/p99 latency
// (TLS connect to final reply), the endpoint's CPU time per request (run time of all its
// threads from /proc, over the measured requests) and the bench process's own CPU per
// request (TLS client side and the stand-in vmmd), since both share the machine.
// Target (issue 7): >= 650 requests/s and <= 1 ms endpoint CPU per request.
// Knobs: REQUESTS=600 (per concurrency level) CONCURRENCY=1,8,32 WARMUP=50 DIST=dir KEY_TYPE=ed25519|p256|rsa2048|...;
// ENDPOINT_NODE_FLAGS passes node flags
// to the endpoint (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
// DIST: another build of the project (default dist/)
const dist = path.resolve(process.env.DIST ?? path.join(here, "../../dist"))
const { Effect } = await import("effect")
const { generate } = await import(path.join(dist, "tls/ca.js"))
const { certificatesFromPem, toPem } = await import(path.join(dist, "tls/certs.js"))
const { privateKeyFromPem, privateKeyToPem } = await import(path.join(dist, "tls/keys.js"))
const { makeLeaf } = await import(path.join(dist, "tls/leaf.js"))
const { encodeWireSync, decodeWireSync } = await import(path.join(dist, "wire/index.js"))
const { encodeFrame, FrameDecoder } = await import(path.join(dist, "wire/framing.js"))

const REQUESTS = Number(process.env.REQUESTS ?? 600)
const WARMUP = Number(process.env.WARMUP ?? 50)
const LEVELS = (process.env.CONCURRENCY ?? "1,8,32").split(",").map(Number)
const run = (e) => Effect.runPromise(e)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-bench-tls-"))
fs.mkdirSync(path.join(dir, "util"))
// KEY_TYPE: key of the CA and the server certificate (generate's --key-type; default ed25519, as the reference's)
await run(generate("benchca", path.join(dir, "db"), { dir, keyType: process.env.KEY_TYPE ?? "ed25519" }))
const [caCert] = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "cacert.pem"))))
const caKey = await run(privateKeyFromPem(fs.readFileSync(path.join(dir, "benchca.key"))))
const caPem = toPem(caCert)

// stand-in vmmd: every command gets a Success with an empty unikernel list, echoing the header
const vmmd = net.createServer((socket) => {
  const decoder = new FrameDecoder(1 << 20)
  socket.on("data", (chunk) => {
    for (const frame of decoder.push(chunk)) {
      if (frame === null) continue
      const wire = decodeWireSync(frame)
      if (wire._tag !== "Right") continue
      const reply = { header: wire.right.header, payload: { _tag: "Success", success: { _tag: "UnikernelInfo", unikernels: [] } } }
      socket.write(encodeFrame(encodeWireSync(reply).right))
    }
  })
  socket.on("error", () => {})
})
await new Promise((r) => vmmd.listen(path.join(dir, "util", "vmmd.sock"), r))

const port = 20000 + Math.floor(Math.random() * 20000)
// BASELINE=1 measures a bare node:tls server instead (baseline-server.mjs): the floor set by Node's TLS
const endpoint = spawn(
  process.execPath,
  [
    ...(process.env.ENDPOINT_NODE_FLAGS ?? "").split(" ").filter((f) => f !== ""),
    ...(process.env.BASELINE === "1"
      ? [path.join(here, "baseline-server.mjs"), "cacert.pem", "server.pem", "server.key", String(port)]
      : [path.join(dist, "bin/albatross-tls-endpoint.js"), "cacert.pem", "server.pem", "server.key", "--ip", "127.0.0.1", "--port", String(port), "--tmpdir", dir, "-q"])
  ],
  { cwd: dir, stdio: ["ignore", "inherit", "inherit"] }
)
// CPU time of the endpoint in ms: run time of all its threads (schedstat, nanoseconds)
const cpuOf = (pid) =>
  fs.readdirSync(`/proc/${pid}/task`).reduce((sum, t) => sum + Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e6, 0)
for (let i = 0; ; i++) {
  const up = await new Promise((r) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), r(true)))
    s.on("error", () => r(false))
  })
  if (up) break
  if (i > 100) throw new Error("endpoint did not start")
  await new Promise((r) => setTimeout(r, 100))
}

const info = { _tag: "UnikernelInfo" }
const freshLeaf = async () => {
  const leaf = await run(makeLeaf({ caCert, caKey, keyType: "ed25519", commonName: ".", command: info }))
  return { cert: toPem(leaf.cert) + caPem, key: await run(privateKeyToPem(leaf.key.privateKey)) }
}
const oneRequest = async ({ cert, key }) => {
  const started = process.hrtime.bigint()
  await new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1", port, cert, key, ca: caPem,
      minVersion: "TLSv1.3", checkServerIdentity: () => undefined
    })
    const decoder = new FrameDecoder(1 << 20)
    let replies = 0
    socket.on("data", (chunk) => {
      for (const f of decoder.push(chunk)) if (f !== null) replies++
    })
    socket.on("close", () => (replies >= 1 ? resolve() : reject(new Error(`${replies} replies`))))
    socket.on("error", reject)
  })
  return Number(process.hrtime.bigint() - started) / 1e6
}

const level = async (concurrency, total) => {
  const leaves = []
  for (let i = 0; i < total; i++) leaves.push(await freshLeaf())
  const latencies = []
  let next = 0
  const cpu0 = cpuOf(endpoint.pid)
  const own0 = cpuOf(process.pid)
  const t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) latencies.push(await oneRequest(leaves[next++]))
    })
  )
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = cpuOf(endpoint.pid) - cpu0
  const own = cpuOf(process.pid) - own0
  latencies.sort((a, b) => a - b)
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]
  return { concurrency, requests: latencies.length, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), cpuPerRequest: cpu / latencies.length, benchCpuPerRequest: own / latencies.length }
}

try {
  await level(4, WARMUP)
  console.log("clients  requests  req/s    p50 ms  p99 ms  endpoint CPU ms/request  bench CPU ms/request")
  for (const c of LEVELS) {
    const r = await level(c, REQUESTS)
    console.log(
      `${String(c).padStart(7)}  ${String(r.requests).padStart(8)}  ${r.rps.toFixed(0).padStart(5)}  ${r.p50.toFixed(2).padStart(7)}  ${r.p99.toFixed(2).padStart(6)}  ${r.cpuPerRequest.toFixed(3).padStart(23)}  ${r.benchCpuPerRequest.toFixed(3).padStart(20)}`
    )
  }
} finally {
  endpoint.kill("SIGTERM")
  vmmd.close()
  fs.rmSync(dir, { recursive: true, force: true })
}
