/**
 * Every recorded invocation of the real albatross-client, replayed against a stub daemon:
 * our client must send the same frames (bytes; images and compressed streams compared by
 * content), print the same output for the recorded replies, and exit with the same code.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runClientCaptured } from "./support/run-client.js"
import { solo5Image } from "./support/solo5-image.js"
import { StubDaemons } from "./support/stub-daemon.js"
import {
  createWire,
  encode,
  fakeImage,
  fromHex,
  isComplete,
  loadTranscripts,
  omittedSize,
  scriptOf,
  type TranscriptStep
} from "./support/transcripts.js"

const steps: Array<TranscriptStep> = [...loadTranscripts("transcripts.json"), ...loadTranscripts("transcripts-network.json")]

let root: string
let image: Uint8Array
let blockData: Uint8Array

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-transcripts-"))
  fs.mkdirSync(path.join(root, "files"))
  image = solo5Image([])
  fs.writeFileSync(path.join(root, "files", "ctl.hvt"), image)
  // blockdata.bin is exactly what the uncompressed set-block sent
  const setBlock = steps.find((s) => s.step === "set-block")!
  const chunks = setBlock.connections[0]!.frames.filter((f) => f.dir === "c2s" && f.decoded.raw_chunk === true && f.hex !== null)
  blockData = Buffer.concat(chunks.map((f) => fromHex(f.hex!)))
  fs.writeFileSync(path.join(root, "files", "blockdata.bin"), blockData)
})

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

/** The recorded command line with our directories in place of the recording's. */
const argvFor = (step: TranscriptStep, tmpdir: string): Array<string> =>
  step.argv
    .split(" ")
    .slice(1)
    .map((word) =>
      word
        .replace("--tmpdir=/run/albatross", `--tmpdir=${tmpdir}`)
        .replace(/^(--data=)?(ctl\.hvt|blockdata\.bin)$/, (_, flag: string | undefined, file: string) => `${flag ?? ""}${path.join(root, "files", file)}`)
    )

/** The start time the recorded client put into its dump file names. */
const recordedStart = (output: string): Date | undefined => {
  const m = /\.(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})-00:00\n/.exec(output)
  return m === null ? undefined : new Date(`${m[1]}Z`)
}

const inflateAll = (chunks: ReadonlyArray<Uint8Array>): Buffer => zlib.inflateSync(Buffer.concat(chunks))

describe("albatross-client replays the recorded sessions", () => {
  for (const step of steps) {
    it(`${step.step}: ${step.argv}`, async () => {
      const dir = fs.mkdtempSync(path.join(root, `${step.step}-`))
      const tmpdir = path.join(dir, "run")
      const dumps = path.join(dir, "dumps")
      fs.mkdirSync(tmpdir)
      fs.mkdirSync(dumps)
      const stub = await StubDaemons.start(tmpdir, step.connections.map(scriptOf))
      const startTime = recordedStart(step.client_output)
      const run = await runClientCaptured(argvFor(step, tmpdir), { tempDir: dumps, ...(startTime ? { startTime } : {}) })
      await stub.close()

      // the recording's client was stopped by a timeout (124) while streaming; ours ends at the stub's close
      const killed = step.rc === 124
      expect(run.code, run.stderr).toBe(killed ? 0 : step.rc)

      const expectedOutput = step.client_output.replaceAll("/tmp/", `${dumps}/`)
      if (step.connections.every(isComplete)) expect(run.stdout).toBe(expectedOutput)
      else {
        expect(run.stdout.length).toBeGreaterThan(0)
        expect(expectedOutput.startsWith(run.stdout)).toBe(true)
      }

      // frames sent, connection by connection
      expect(stub.received.map((c) => c.socket)).toEqual(step.connections.map((c) => c.socket))
      step.connections.forEach((conn, i) => {
        const ours = stub.received[i]!.frames
        const recorded = conn.frames.filter((f) => f.dir === "c2s")
        const [command, ...rest] = recorded
        const expectedCommand =
          command!.hex !== null ? fromHex(command!.hex) : encode(createWire(command!.decoded.value!, image))
        expect(Buffer.from(ours[0]!).toString("hex")).toBe(Buffer.from(expectedCommand).toString("hex"))
        if (rest.length === 0) {
          expect(ours.length).toBe(1)
          return
        }
        // a raw chunk stream: 4096-byte pieces when uncompressed, otherwise the same inflated content
        const oursChunks = ours.slice(1)
        expect(oursChunks[oursChunks.length - 1]).toBeNull()
        const recordedChunks = rest.filter((f) => f.decoded.end_of_stream !== true).map((f) => fromHex(f.hex!))
        const oursData = oursChunks.slice(0, -1) as Array<Uint8Array>
        const compressed = (command!.decoded.value!.payload["command"] as { compressed?: boolean }).compressed === true
        if (compressed) expect(inflateAll(oursData).equals(inflateAll(recordedChunks))).toBe(true)
        else expect(oursData.map((c) => Buffer.from(c).toString("hex"))).toEqual(recordedChunks.map((c) => Buffer.from(c).toString("hex")))
      })

      // files written by get / dump-block
      const written = fs.readdirSync(dumps)
      if (step.step === "get") {
        const reply = step.connections[0]!.frames[1]!.decoded.value!.payload["success"] as { image: string }
        expect(written).toHaveLength(1)
        expect(Buffer.compare(fs.readFileSync(path.join(dumps, written[0]!)), fakeImage(omittedSize(reply.image)))).toBe(0)
      }
      if (step.step === "dump-block") {
        expect(written).toHaveLength(1)
        const content = fs.readFileSync(path.join(dumps, written[0]!))
        expect(content.length).toBe(5 * 1024 * 1024)
        expect(content.every((b) => b === 0)).toBe(true)
      }
    })
  }
})
