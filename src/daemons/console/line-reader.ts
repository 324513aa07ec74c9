/**
 * Turns the bytes a unikernel writes to its console FIFO into lines, with the rules of the
 * reference (spec §7.3):
 * - data is taken in reads of at most 512 bytes; a chunk delivered by the OS is cut into
 *   512-byte pieces, each handled as one read;
 * - an unfinished line ("slack") waits for the next read; if a buffer without any newline
 *   reaches 512 bytes, its first 512 bytes are emitted followed by ` [truncated]` and the rest
 *   is dropped up to the next newline ("drop mode");
 * - a complete line may therefore be up to 1,022 bytes (511 slack + 511 new);
 * - empty lines are discarded; `\r` is not special.
 *
 * Lines returned by `push` are copies packed into one buffer per call: they do not keep the
 * OS chunk alive, so a unikernel cannot make a small ring hold large buffers.
 */
export const READ_SIZE = 512
const NEWLINE = 0x0a
const TRUNCATED = new TextEncoder().encode(" [truncated]")
const EMPTY = new Uint8Array(0)

export class LineReader {
  private slack: Uint8Array = EMPTY
  private dropping = false

  /** Whether the reader is discarding the remainder of a truncated line. */
  get inDropMode(): boolean {
    return this.dropping
  }

  /** Bytes of an unfinished line kept for the next read. */
  get slackLength(): number {
    return this.slack.length
  }

  /** Complete lines in this chunk (in order, none empty), as compact copies. */
  push(chunk: Uint8Array): Array<Uint8Array> {
    const views: Array<Uint8Array> = []
    for (let offset = 0; offset < chunk.length; offset += READ_SIZE) {
      this.read(chunk.subarray(offset, Math.min(offset + READ_SIZE, chunk.length)), views)
    }
    return pack(views)
  }

  /** One read of at most 512 bytes. */
  private read(piece: Uint8Array, out: Array<Uint8Array>): void {
    let start = 0
    if (this.dropping) {
      const nl = piece.indexOf(NEWLINE)
      if (nl < 0) return
      this.dropping = false
      start = nl + 1
    } else {
      const nl = piece.indexOf(NEWLINE)
      if (nl < 0) {
        const total = this.slack.length + piece.length
        if (total >= READ_SIZE) {
          const line = new Uint8Array(READ_SIZE + TRUNCATED.length)
          const fromSlack = Math.min(this.slack.length, READ_SIZE)
          line.set(this.slack.subarray(0, fromSlack), 0)
          line.set(piece.subarray(0, READ_SIZE - fromSlack), fromSlack)
          line.set(TRUNCATED, READ_SIZE)
          out.push(line)
          this.slack = EMPTY
          this.dropping = true
        } else {
          this.slack = concat(this.slack, piece)
        }
        return
      }
      // the first line completes the slack
      const first = this.slack.length === 0 ? piece.subarray(0, nl) : concat(this.slack, piece.subarray(0, nl))
      if (first.length > 0) out.push(first)
      this.slack = EMPTY
      start = nl + 1
    }
    for (;;) {
      const nl = piece.indexOf(NEWLINE, start)
      if (nl < 0) break
      if (nl > start) out.push(piece.subarray(start, nl))
      start = nl + 1
    }
    // the last fragment (at most 511 bytes) waits for the next read
    if (start < piece.length) this.slack = piece.slice(start)
  }
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Copies lines into one buffer and returns views of it. */
const pack = (views: Array<Uint8Array>): Array<Uint8Array> => {
  if (views.length === 0) return views
  let total = 0
  for (const v of views) total += v.length
  const buf = new Uint8Array(total)
  let pos = 0
  for (let i = 0; i < views.length; i++) {
    const v = views[i]!
    buf.set(v, pos)
    views[i] = buf.subarray(pos, pos + v.length)
    pos += v.length
  }
  return views
}
