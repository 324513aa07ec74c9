/**
 * Data sent after `Block_set` as a raw chunk stream (spec §6.3): the file in 4096-byte
 * pieces as the reference client reads it, or zlib-compressed at the requested level
 * (pieces up to 64 KiB).
 */
import * as fs from "node:fs"
import { pipeline } from "node:stream"
import * as zlib from "node:zlib"
import type { Upload } from "./session.js"

const PIECE = 4096
const COMPRESSED_PIECE = 65536

export const fileUpload = (file: string, level: number): Upload => {
  const size = fs.statSync(file).size
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const source = fs.createReadStream(file, { highWaterMark: PIECE })
    if (level === 0) {
      for await (const piece of source) yield new Uint8Array(piece as Buffer)
      return
    }
    const deflate = zlib.createDeflate({ level, chunkSize: COMPRESSED_PIECE })
    const compressed = pipeline(source, deflate, () => {
      // errors surface through the iteration below
    })
    for await (const piece of compressed) yield new Uint8Array(piece as Buffer)
  }
  return { chunks: chunks(), total: level === 0 ? size : undefined }
}
