/**
 * The built albatross-console (dist/) as a child process: a real FIFO written by a real
 * process, real subscribers over console.sock, and a client sending 10,000 malformed or
 * oversized frames while the subscribers keep receiving every line in order.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectUnix, type Connection } from "../../src/net/connection.js"
import { encodeFrame, FrameDecoder } from "../../src/wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"
import { add, command, count, next, replyText, run, subscribeCmd, tmpRuntimeDir } from "./support.js"

const root = path.resolve(__dirname, "../..")
const bin = path.join(root, "dist/bin/albatross-console.js")

const startDaemon = (dir: string, args: ReadonlyArray<string> = []) =>
  new Promise<{ child: ChildProcess; stderr: () => string }>((resolve, reject) => {
    if (!fs.existsSync(bin)) {
      reject(new Error(`${bin} is missing: run \`npm run build\` first`))
      return
    }
    const child = spawn(process.execPath, [bin, "--tmpdir", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let err = ""
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${err}`)), 15000)
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString()
      if (err.includes("listening on")) {
        clearTimeout(timer)
        resolve({ child, stderr: () => err })
      }
    })
    child.on("exit", (code) => reject(new Error(`daemon exited (${code}): ${err}`)))
  })

/** A real writer: another Node process that opens the FIFO and writes `n` lines, `perTick` at a time. */
const writer = (fifo: string, n: number, perTick: number, prefix: string) =>
  spawn(
    process.execPath,
    [
      "-e",
      `const fs=require("fs");const fd=fs.openSync(process.argv[1],"w");let i=0;
       const tick=()=>{let s="";for(let k=0;k<${perTick}&&i<${n};k++,i++)s+="${prefix} "+i+"\\n";fs.writeSync(fd,s);
       if(i<${n})setTimeout(tick,1);else fs.closeSync(fd)};tick()`,
      fifo
    ],
    { stdio: "ignore" }
  )

const wrongVersion = () => {
  const der = Either.getOrThrow(encodeWireSync(command(":", { _tag: "ConsoleListInactive" })))
  // header SEQUENCE starts at byte 2: 30 len 02 01 05
  expect(Array.from(der.subarray(4, 7))).toEqual([0x02, 0x01, 0x05])
  der[6] = 4
  return encodeFrame(der)
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.on("exit", r)))

/** Reads `n` console lines, checking they are `<prefix> 0` .. `<prefix> n-1` in order. */
const readLines = (conn: Connection, n: number, prefix: string, from = 0) =>
  Effect.gen(function* () {
    for (let i = from; i < n; i++) {
      const text = replyText(yield* next(conn, 20000))
      const line = text.split(":").slice(2).join(":")
      if (line !== `${prefix} ${i}`) return yield* Effect.fail(new Error(`expected "${prefix} ${i}", got ${text}`))
    }
    return n
  })

describe("albatross-console, built, as a process", () => {
  let dir: string
  let daemon: { child: ChildProcess; stderr: () => string }
  beforeAll(async () => {
    dir = tmpRuntimeDir("console-e2e-")
    daemon = await startDaemon(dir, ["--max-subscribers", "3"])
  })
  afterAll(() => {
    daemon?.child.kill()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const socket = () => path.join(dir, "util", "console.sock")
  const mkfifo = (n: string) => {
    const p = path.join(dir, "fifo", n)
    execFileSync("mkfifo", [p])
    return p
  }

  it("history and live lines from a real FIFO reach every subscriber in order", () =>
    run(
      Effect.gen(function* () {
        const fifo = mkfifo(":uk")
        const link = yield* connectUnix(socket())
        yield* link.writeWire(add(":uk", 5n))
        expect(replyText(yield* next(link))).toBe("success:Empty")
        const first = writer(fifo, 100, 10, "boot")
        expect(yield* Effect.promise(() => exited(first))).toBe(0)
        // the writer is gone: the console becomes inactive, its history stays
        for (let i = 0; i < 200; i++) {
          const c = yield* connectUnix(socket())
          yield* c.writeWire(command(":", { _tag: "ConsoleListInactive" }))
          if (replyText(yield* next(c)) === "consoles::uk") break
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
        }
        const subs: Array<Connection> = []
        for (let i = 0; i < 2; i++) {
          const c = yield* connectUnix(socket())
          yield* c.writeWire(subscribeCmd(":uk", count(1024)))
          expect(replyText(yield* next(c))).toBe("success:subscribed")
          expect(yield* readLines(c, 100, "boot")).toBe(100)
          subs.push(c)
        }
        // restart: new FIFO, same console; subscribers stay
        fs.rmSync(fifo)
        const fifo2 = mkfifo(":uk")
        yield* link.writeWire(add(":uk", 5n))
        expect(replyText(yield* next(link))).toBe("success:Empty")
        const second = writer(fifo2, 2000, 50, "live")
        for (const c of subs) expect(yield* readLines(c, 2000, "live")).toBe(2000)
        expect(yield* Effect.promise(() => exited(second))).toBe(0)
      })
    ))

  it("10,000 malformed or oversized frames from one client leave the subscribers unaffected", () =>
    run(
      Effect.gen(function* () {
        const fifo = mkfifo(":steady")
        const link = yield* connectUnix(socket())
        yield* link.writeWire(add(":steady", 5n))
        expect(replyText(yield* next(link))).toBe("success:Empty")
        const subs: Array<Connection> = []
        for (let i = 0; i < 2; i++) {
          const c = yield* connectUnix(socket())
          yield* c.writeWire(subscribeCmd(":steady", count(0)))
          expect(replyText(yield* next(c))).toBe("success:subscribed")
          subs.push(c)
        }
        const total = 20000
        const w = writer(fifo, total, 20, "steady")
        const readers = yield* Effect.forkAll(subs.map((c) => readLines(c, total, "steady")))
        // the bad client: one process (this one), 10,000 connections, each one bad frame
        const garbage = [
          encodeFrame(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])), // truncated DER
          encodeFrame(new Uint8Array(64).fill(0xff)), // not DER at all
          Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]), // 2 GiB length prefix
          wrongVersion() // a well-formed message of protocol version 4
        ]
        let failures = 0
        const bad = (i: number) =>
          new Promise<void>((resolve) => {
            const s = net.createConnection(socket())
            let got = Buffer.alloc(0)
            s.on("connect", () => s.write(garbage[i % garbage.length]!))
            s.on("data", (c) => (got = Buffer.concat([got, c])))
            s.on("error", () => {})
            s.on("close", () => {
              if (got.length > 4) failures++
              resolve()
            })
          })
        const N = 10000
        let started = 0
        yield* Effect.promise(async () => {
          const workers = Array.from({ length: 32 }, async () => {
            while (started < N) await bad(started++)
          })
          await Promise.all(workers)
        })
        expect(failures).toBe(N)
        const counts = yield* readers.await.pipe(Effect.flatten)
        expect(counts).toEqual([total, total])
        expect(yield* Effect.promise(() => exited(w))).toBe(0)
        expect(daemon.child.exitCode).toBeNull()
      })
    ))

  it("a subscriber that never reads loses lines (logged) while another gets every line in order", () =>
    run(
      Effect.gen(function* () {
        const fifo = mkfifo(":chatty")
        const link = yield* connectUnix(socket())
        yield* link.writeWire(add(":chatty", 5n))
        expect(replyText(yield* next(link))).toBe("success:Empty")
        const subscribe = Buffer.from(encodeFrame(Either.getOrThrow(encodeWireSync(subscribeCmd(":chatty", count(0))))))
        const stuck = net.createConnection(socket())
        stuck.write(subscribe)
        stuck.pause()
        // the good subscriber: a plain socket decoding every frame
        const total = 150_000
        const good = net.createConnection(socket())
        good.write(subscribe)
        const decoder = new FrameDecoder(1 << 20)
        let lines = 0
        let wrong: string | undefined
        const done = new Promise<void>((resolve) => {
          good.on("data", (chunk: Buffer) => {
            for (const f of decoder.push(chunk)) {
              const w = Either.getOrThrow(decodeWireSync(f!))
              if (w.payload._tag !== "Data") continue
              const text = replyText(w).split(":").slice(2).join(":")
              if (text !== `chatty ${lines}`) wrong ??= `line ${lines}: ${text}`
              if (++lines === total) resolve()
            }
          })
        })
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 200)))
        // 150,000 lines (some 15 MB of frames, more than a subscriber's 8 MiB queue), at about 60,000 lines/s
        const w = writer(fifo, total, 60, "chatty")
        yield* Effect.promise(() => Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${lines} lines`)), 60000))]))
        expect(wrong).toBeUndefined()
        expect(lines).toBe(total)
        expect(yield* Effect.promise(() => exited(w))).toBe(0)
        stuck.destroy()
        good.destroy()
        for (let i = 0; i < 100 && !daemon.stderr().includes("lines in total"); i++) {
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
        }
        expect(daemon.stderr()).toMatch(/console subscriber \d+ of :chatty is not keeping up, losing lines/)
        expect(daemon.stderr()).toMatch(/console subscriber \d+ of :chatty lost \d+ lines in total/)
      })
    ))

  const runBin = (args: ReadonlyArray<string>) => {
    try {
      const out = execFileSync(process.execPath, [bin, ...args], { stdio: "pipe" })
      return { status: 0, out: out.toString() }
    } catch (e) {
      const err = e as { status: number; stderr: Buffer; stdout: Buffer }
      return { status: err.status, out: err.stderr.toString() + err.stdout.toString() }
    }
  }

  it("--max-subscribers 0 is refused", () => {
    const r = runBin(["--tmpdir", dir, "--max-subscribers", "0"])
    expect(r.status).toBe(124)
    expect(r.out).toContain("max subscribers must be greater than or equal to 1")
  })

  it("--influx must be HOST[:PORT]; a valid one starts the daemon reporting its metrics there", async () => {
    const bad = runBin(["--tmpdir", dir, "--influx", "not a host"])
    expect(bad.status).toBe(1)
    expect(bad.out).toContain("--influx: invalid host and port")
    const other = tmpRuntimeDir("console-e2e-influx-")
    const d = await startDaemon(other, ["--influx", "127.0.0.1:8094"])
    d.child.kill()
    fs.rmSync(other, { recursive: true, force: true })
    expect(d.stderr()).toContain("metrics: reporting to 127.0.0.1:8094 every 10s")
  })
})
