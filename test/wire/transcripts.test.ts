/**
 * Every ASN.1 frame recorded between the real albatross-client and the real daemons
 * (../shared/vectors/transcripts*.json) decodes to the recorded value and re-encodes byte-exact.
 * Raw chunk frames (block uploads: not ASN.1) and frames whose image was omitted are not wire messages.
 */
import { Either } from "effect"
import { readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"
import { bytesToHex, hexToBytes, type Json, wireFromJson } from "../support/vector-values.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

const vectorsDir = sharedVectorsDir

interface Frame {
  readonly dir: "c2s" | "s2c"
  readonly hex?: string | null
  readonly length_prefix?: string
  readonly decoded?: { readonly ok?: boolean; readonly value?: Json; readonly raw_chunk?: boolean }
}
interface Step {
  readonly step: string
  readonly connections: ReadonlyArray<{ readonly service: string; readonly frames: ReadonlyArray<Frame> }>
}

for (const file of ["transcripts.json", "transcripts-network.json"]) {
  const steps: ReadonlyArray<Step> = JSON.parse(readFileSync(path.join(vectorsDir, file), "utf8"))
  const frames = steps.flatMap((s) =>
    s.connections.flatMap((c, ci) =>
      c.frames.map((f, fi) => ({ label: `${s.step} conn${ci} (${c.service}) frame${fi} ${f.dir}`, frame: f }))
    )
  )
  const wireFrames = frames.filter((f) => typeof f.frame.hex === "string" && f.frame.decoded?.ok === true)

  describe(file, () => {
    it("has ASN.1 frames with hex to check", () => {
      expect(wireFrames.length).toBeGreaterThan(file === "transcripts.json" ? 100 : 30)
    })
    for (const { label, frame } of wireFrames) {
      it(label, () => {
        const hex = frame.hex!
        expect(parseInt(frame.length_prefix!, 16)).toBe(hex.length / 2)
        const decoded = decodeWireSync(hexToBytes(hex))
        if (Either.isLeft(decoded)) throw new Error(decoded.left.message)
        expect(decoded.right).toEqual(wireFromJson(frame.decoded!.value!))
        const reencoded = encodeWireSync(decoded.right)
        if (Either.isLeft(reencoded)) throw new Error(reencoded.left.message)
        expect(bytesToHex(reencoded.right)).toBe(hex)
      })
    }
  })
}
