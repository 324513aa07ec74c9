/**
 * In-memory Blocks: file name -> bytes, with the same rules as the POSIX layer (size
 * alignment and name parsing on discovery, `file already exists`, the size cap of `set`,
 * deflated dumps in chunks of at most 64 KiB). Keep test sizes small: content is held in memory.
 */
import { inflateSync, deflateSync } from "node:zlib"
import { Chunk, Effect, Either, Layer, Option, Stream } from "effect"
import { Name } from "../../domain/name.js"
import { BlockError, type BlockFile, Blocks, type BlocksService } from "../../services/blocks.js"
import { blockPath, type HostPathsConfig } from "../../services/host-paths.js"
import { bytesOfMb, mbOfBytes, rechunk } from "../linux/blocks.js"

export class TestBlocks {
  /** File name (`alice:data`) -> content. */
  readonly files = new Map<string, Uint8Array>()

  constructor(readonly paths: HostPathsConfig = { tmpdir: "/run/albatross", dbdir: "/var/lib/albatross" }) {}

  readonly service: BlocksService = {
    path: (name) => blockPath(this.paths, name),
    discover: Effect.gen(this, function* () {
      const found: Array<BlockFile> = []
      for (const [file, data] of [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const size = mbOfBytes(data.length)
        if (Either.isLeft(size)) {
          yield* Effect.logWarning(`file ${file} size error: ${size.left}`)
          continue
        }
        const name = Name.fromString(file)
        if (Either.isLeft(name)) {
          yield* Effect.logWarning(`file ${file} name error: ${name.left}`)
          continue
        }
        found.push({ name: name.right, size: size.right })
      }
      return found
    }),
    create: (name, size, data) =>
      Effect.suspend(() => {
        const key = name.toString()
        if (this.files.has(key)) return Effect.fail(new BlockError({ message: "file already exists" }))
        const content = Option.getOrElse(data, () => new Uint8Array(0))
        this.files.set(key, content)
        const bytes = bytesOfMb(size)
        if (Either.isLeft(bytes)) return Effect.fail(new BlockError({ message: bytes.left }))
        this.files.set(key, resize(content, bytes.right))
        return Effect.void
      }),
    remove: (name) => Effect.sync(() => void this.files.delete(name.toString())),
    set: (name, size, compressed, chunks) =>
      Effect.gen(this, function* () {
        const cap = bytesOfMb(size)
        if (Either.isLeft(cap)) return yield* new BlockError({ message: cap.left })
        this.files.set(name.toString(), new Uint8Array(0))
        const received = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(chunks)))
        let data: Uint8Array = received
        if (compressed) {
          try {
            data = inflateSync(received)
          } catch (e) {
            return yield* new BlockError({ message: `failed to uncompress: ${e instanceof Error ? e.message : String(e)}` })
          }
        }
        if (data.length > cap.right) return yield* new BlockError({ message: "stream exceeds size" })
        this.files.set(name.toString(), resize(data, cap.right))
      }),
    dump: (name, level) =>
      Stream.suspend(() => {
        const data = this.files.get(name.toString())
        if (data === undefined) return Stream.fail(new BlockError({ message: "streaming block device" }))
        const out = level > 0 ? new Uint8Array(deflateSync(data, { level: Math.min(9, level) })) : data
        return Stream.fromIterable(rechunk(out))
      })
  }

  readonly layer: Layer.Layer<Blocks> = Layer.succeed(Blocks, this.service)
}

const resize = (data: Uint8Array, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  out.set(data.subarray(0, length))
  return out
}
