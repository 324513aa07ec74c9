/**
 * The recorded exchanges of the real albatross-client with the real daemons
 * (`../shared/vectors/transcripts*.json`), turned into stub-daemon scripts.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import { Name } from "../../../src/domain/name.js"
import type { Wire } from "../../../src/domain/wire.js"
import { encodeWireSync } from "../../../src/wire/index.js"
import { type Json, wireFromJson } from "../../support/vector-values.js"
import type { ScriptedConnection, ScriptStep } from "./stub-daemon.js"
import { vectorsDir as sharedVectorsDir } from "../../support/vectors-dir.js"

export const vectorsDir = sharedVectorsDir

export interface RecordedFrame {
  readonly dir: "c2s" | "s2c"
  readonly hex: string | null
  readonly hex_omitted?: string
  readonly length_prefix: string
  readonly decoded: { readonly ok: boolean; readonly value?: JsonWire; readonly raw_chunk?: boolean; readonly end_of_stream?: boolean }
}

export interface RecordedConnection {
  readonly service: string
  readonly socket: string
  readonly frames_total: number
  readonly frames: ReadonlyArray<RecordedFrame>
}

export interface TranscriptStep {
  readonly step: string
  readonly argv: string
  readonly rc: number
  readonly client_output: string
  readonly connections: ReadonlyArray<RecordedConnection>
}

// the subset of the vector value format the client tests need
export interface JsonWire {
  readonly header: { readonly version: number; readonly sequence: string; readonly name: string }
  readonly payload: Record<string, unknown>
}

export const loadTranscripts = (file: string): Array<TranscriptStep> =>
  JSON.parse(fs.readFileSync(path.join(vectorsDir, file), "utf8")) as Array<TranscriptStep>

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"))

export const nameOf = (s: string): Name => Either.getOrThrow(Name.fromString(s))

export const encode = (wire: Wire): Uint8Array => Either.getOrThrow(encodeWireSync(wire))

/** `<omitted: 122712 bytes, sha256 ...>` */
export const omittedSize = (text: string): number => {
  const m = /<omitted: (\d+) bytes/.exec(text)
  if (m === null) throw new Error(`not an omitted image: ${text}`)
  return Number(m[1])
}

/** Deterministic stand-in for an image the recording does not redistribute. */
export const fakeImage = (size: number): Uint8Array => new Uint8Array(size).map((_, i) => (i * 131 + 17) & 0xff)

/** A recorded create command (its image omitted from the recording), carrying `image` instead. */
export const createWire = (value: JsonWire, image: Uint8Array): Wire => {
  const command = value.payload["command"] as { readonly config: Record<string, Json> }
  const withoutImage = {
    ...value,
    payload: { ...value.payload, command: { ...command, config: { ...command.config, image: "" } } }
  } as unknown as Json
  const wire = wireFromJson(withoutImage)
  if (wire.payload._tag !== "Command") throw new Error("not a command")
  const c = wire.payload.command
  if (c._tag !== "UnikernelCreate" && c._tag !== "UnikernelForceCreate") throw new Error(`not a create: ${c._tag}`)
  return { ...wire, payload: { _tag: "Command", command: { ...c, config: { ...c.config, image } } } }
}

/** A server frame the recording omitted (it carried an image): rebuilt around `fakeImage`. */
const rebuildOmitted = (frame: RecordedFrame): Uint8Array => {
  const value = frame.decoded.value!
  const success = value.payload["success"] as { type: string; compressed: boolean; image: string }
  if (success.type !== "unikernel_image") throw new Error(`cannot rebuild omitted ${success.type}`)
  return encode({
    header: { version: 5, sequence: BigInt(value.header.sequence), name: nameOf(value.header.name) },
    payload: { _tag: "Success", success: { _tag: "UnikernelImage", compressed: false, image: fakeImage(omittedSize(success.image)) } }
  })
}

/**
 * The stub's script for one recorded connection. Replies wait for the client frames the
 * recording shows before them (for an upload: its end-of-stream frame). A block dump cut
 * at 25 frames is completed with copies of its last data frame and the end marker.
 */
export const scriptOf = (conn: RecordedConnection): ScriptedConnection => {
  const steps: Array<ScriptStep> = []
  let clientMessages = 0
  let uploadEnded = false
  for (const frame of conn.frames) {
    if (frame.dir === "c2s") {
      if (frame.decoded.raw_chunk === true) uploadEnded ||= frame.decoded.end_of_stream === true
      else clientMessages++
      continue
    }
    steps.push(uploadEnded ? { _tag: "awaitEnd" } : { _tag: "await", frames: clientMessages })
    steps.push({ _tag: "send", payload: frame.hex === null ? rebuildOmitted(frame) : fromHex(frame.hex) })
  }
  const last = conn.frames[conn.frames.length - 1]
  const lastData = last?.decoded.value?.payload["data"] as { type?: string } | undefined
  if (conn.frames_total > conn.frames.length && lastData?.type === "block_data" && last?.hex != null) {
    for (let n = conn.frames.length; n < conn.frames_total - 1; n++) steps.push({ _tag: "send", payload: fromHex(last.hex) })
    const header = last.decoded.value!.header
    steps.push({
      _tag: "send",
      payload: encode({
        header: { version: 5, sequence: BigInt(header.sequence), name: nameOf(header.name) },
        payload: { _tag: "Data", data: { _tag: "BlockData", data: null } }
      })
    })
  }
  return { socket: conn.socket, steps }
}

/** Whether the stub replays the whole recorded connection (the client's output is then complete). */
export const isComplete = (conn: RecordedConnection): boolean => {
  if (conn.frames_total === conn.frames.length) return true
  const last = conn.frames[conn.frames.length - 1]
  const data = last?.decoded.value?.payload["data"] as { type?: string } | undefined
  return data?.type === "block_data"
}
