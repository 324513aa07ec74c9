/**
 * Files the client writes (spec §11.5): images from `get`/`extract-dump` and block
 * device dumps, named `<temp dir>/<Name.to_string>.<start time, RFC 3339>`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect } from "effect"
import type { Name } from "../domain/name.js"
import { rfc3339 } from "./human.js"

export const dumpFileName = (tempDir: string, name: Name, startTime: Date): string =>
  path.join(tempDir, `${name.toString()}.${rfc3339(startTime)}`)

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** zlib inflate of a whole image (`Vmm_compress.uncompress`). */
export const inflate = (data: Uint8Array): Effect.Effect<Uint8Array, string> =>
  Effect.try({ try: () => new Uint8Array(zlib.inflateSync(data)), catch: message })

/** zlib deflate at `level` 1-9 (`Vmm_compress.compress`). */
export const deflate = (data: Uint8Array, level: number): Effect.Effect<Uint8Array, string> =>
  Effect.try({ try: () => new Uint8Array(zlib.deflateSync(data, { level })), catch: message })

/** Written to a temporary name then renamed, mode 0644, as `Bos.OS.File.write`. */
export const writeFileAtomic = (file: string, data: Uint8Array): Effect.Effect<void, string> =>
  Effect.try({
    try: () => {
      const tmp = `${file}.${process.pid}.tmp`
      fs.writeFileSync(tmp, data, { mode: 0o644 })
      fs.renameSync(tmp, file)
    },
    catch: message
  })

/**
 * Destination of a block dump: opened write-only, created if missing but not truncated
 * (as the reference does), fed with raw or compressed pieces.
 */
export interface DumpSink {
  readonly file: string
  readonly write: (piece: Uint8Array) => Effect.Effect<void, string>
  /** Flushes the inflater, closes the file. */
  readonly finish: Effect.Effect<void, string>
  /** Closes the file after a failure, ignoring errors. */
  readonly abort: Effect.Effect<void>
}

export const openDumpSink = (file: string, compressed: boolean): Effect.Effect<DumpSink, string> =>
  Effect.try({
    try: (): DumpSink => {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644)
      let failure: string | undefined
      let closed = false
      const writeAll = (buf: Uint8Array) => {
        let off = 0
        while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off)
      }
      const inflater = compressed ? zlib.createInflate() : undefined
      inflater?.on("data", (chunk: Buffer) => {
        if (failure !== undefined) return
        try {
          writeAll(chunk)
        } catch (e) {
          failure = message(e)
        }
      })
      inflater?.on("error", (e) => {
        failure ??= e.message
      })
      const close = () => {
        if (closed) return
        closed = true
        fs.closeSync(fd)
      }
      return {
        file,
        write: (piece) =>
          Effect.suspend(() => {
            if (failure !== undefined) return Effect.fail(failure)
            if (inflater === undefined) return Effect.try({ try: () => writeAll(piece), catch: message })
            // wait until the inflater took the piece, so memory stays bounded
            return Effect.async<void, string>((resume) => {
              inflater.write(piece, (err) => resume(err ? Effect.fail(err.message) : Effect.void))
            })
          }),
        finish: Effect.async<void, string>((resume) => {
          const done = () => {
            try {
              close()
            } catch (e) {
              failure ??= message(e)
            }
            resume(failure === undefined ? Effect.void : Effect.fail(failure))
          }
          if (inflater === undefined) return done()
          inflater.once("end", done)
          inflater.once("error", done)
          inflater.end()
        }),
        abort: Effect.sync(() => {
          inflater?.destroy()
          try {
            close()
          } catch {
            // already reported
          }
        })
      }
    },
    catch: message
  })
