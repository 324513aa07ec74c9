/**
 * Framing of every message on the Unix sockets and inside TLS (spec §6.1, §6.3):
 * a 4-byte big-endian signed length, then that many bytes. A length <= 0 ends a stream.
 *
 * The reference has no size limit; we refuse a frame larger than `maxFrame` as soon as its
 * length prefix is read, before anything is allocated for it.
 */
import { Data } from "effect"

/** Admits a 64 MB image plus the DER structure around it. */
export const MAX_FRAME_DEFAULT = 80 * 1024 * 1024

/** The zero-length frame that ends a raw chunk stream. */
export const END_OF_STREAM: Uint8Array = new Uint8Array(4)

export class FrameTooLarge extends Data.TaggedError("FrameTooLarge")<{ readonly size: number; readonly max: number }> {
  override get message(): string {
    return `frame of ${this.size} bytes exceeds the maximum of ${this.max} bytes`
  }
}

export const encodeFrame = (payload: Uint8Array): Uint8Array => {
  const frame = new Uint8Array(4 + payload.length)
  new DataView(frame.buffer).setInt32(0, payload.length, false)
  frame.set(payload, 4)
  return frame
}

/** The length prefix alone, for writing a large payload without copying it. */
export const framePrefix = (length: number): Uint8Array => {
  const prefix = new Uint8Array(4)
  new DataView(prefix.buffer).setInt32(0, length, false)
  return prefix
}

/**
 * Incremental decoder: feed it chunks as they arrive, it returns the complete frames.
 * `null` in the output stands for a length <= 0 (end of stream).
 * Once a too-large length is seen, `error` is set and nothing more is decoded.
 */
export class FrameDecoder {
  private header = new Uint8Array(4)
  private headerFill = 0
  private body: Uint8Array | undefined
  private bodyFill = 0
  error: FrameTooLarge | undefined

  constructor(readonly maxFrame: number = MAX_FRAME_DEFAULT) {}

  /** Bytes of the frame currently being assembled (for progress and memory accounting). */
  get pending(): number {
    return this.headerFill + this.bodyFill
  }

  push(chunk: Uint8Array): Array<Uint8Array | null> {
    const frames: Array<Uint8Array | null> = []
    let offset = 0
    while (offset < chunk.length && this.error === undefined) {
      if (this.body === undefined) {
        const take = Math.min(4 - this.headerFill, chunk.length - offset)
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill)
        this.headerFill += take
        offset += take
        if (this.headerFill < 4) break
        this.headerFill = 0
        const length = new DataView(this.header.buffer).getInt32(0, false)
        if (length <= 0) {
          frames.push(null)
          continue
        }
        if (length > this.maxFrame) {
          this.error = new FrameTooLarge({ size: length, max: this.maxFrame })
          break
        }
        // a frame wholly inside this chunk is returned as a view, without a copy
        if (chunk.length - offset >= length) {
          frames.push(chunk.subarray(offset, offset + length))
          offset += length
          continue
        }
        this.body = new Uint8Array(length)
        this.bodyFill = 0
      }
      const body = this.body
      const take = Math.min(body.length - this.bodyFill, chunk.length - offset)
      body.set(chunk.subarray(offset, offset + take), this.bodyFill)
      this.bodyFill += take
      offset += take
      if (this.bodyFill === body.length) {
        frames.push(body)
        this.body = undefined
        this.bodyFill = 0
      }
    }
    return frames
  }
}
