/**
 * Blocks on a POSIX host (Linux and FreeBSD), spec §4.2 step 2, §5.8, §4.4 Block_*.
 * Streaming goes through node:zlib streams and node:stream pipelines, so a block of any size
 * is set or dumped in bounded memory.
 */
import { createReadStream, createWriteStream } from "node:fs"
import { mkdir, open, readdir, rm, stat, truncate } from "node:fs/promises"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createDeflate, createInflate } from "node:zlib"
import { Effect, Either, Layer, Option, Stream } from "effect"
import { Name } from "../../domain/name.js"
import { BlockError, type BlockFile, Blocks, type BlocksService, DUMP_CHUNK_MAX } from "../../services/blocks.js"
import { blockDir, blockPath, HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import { errnoText } from "./errno-text.js"

const MIB = 2 ** 20

/** The reference's `mb_of_bytes`. */
export const mbOfBytes = (bytes: number): Either.Either<number, string> =>
  bytes === 0 || bytes % MIB !== 0 ? Either.left("size is either 0 or not MB aligned") : Either.right(bytes / MIB)

/** The reference's `bytes_of_mb`: `size << 20` must be greater than `size`. */
export const bytesOfMb = (size: number): Either.Either<number, string> => {
  const bytes = size * MIB
  return Number.isSafeInteger(bytes) && bytes > size ? Either.right(bytes) : Either.left("overflow while computing bytes")
}

/** Splits chunks larger than `max` (a stream may deliver its buffered bytes as one chunk). */
export const rechunk = (chunk: Uint8Array, max: number = DUMP_CHUNK_MAX): ReadonlyArray<Uint8Array> => {
  if (chunk.length <= max) return [chunk]
  const out: Array<Uint8Array> = []
  for (let o = 0; o < chunk.length; o += max) out.push(chunk.subarray(o, Math.min(o + max, chunk.length)))
  return out
}

class Exceeded extends Error {}
class UpstreamFailed extends Error {}

const fail = (message: string) => new BlockError({ message })

export const makePosixBlocks = (paths: HostPathsConfig): BlocksService => {
  const dir = blockDir(paths)
  const path = (name: Name) => blockPath(paths, name)

  const discover = Effect.gen(function* () {
    const entries = yield* Effect.tryPromise(() => readdir(dir)).pipe(Effect.either)
    if (Either.isLeft(entries)) {
      yield* Effect.logWarning(`block directory ${dir}: ${errnoText(entries.left.error)}`)
      return []
    }
    const blocks: Array<BlockFile> = []
    for (const file of entries.right.sort()) {
      const full = `${dir}/${file}`
      const st = yield* Effect.tryPromise(() => stat(full)).pipe(Effect.option)
      if (Option.isNone(st) || !st.value.isFile()) {
        yield* Effect.logWarning(`file ${full} is not a regular file, skipped`)
        continue
      }
      const size = mbOfBytes(st.value.size)
      if (Either.isLeft(size)) {
        yield* Effect.logWarning(`file ${full} size error: ${size.left}`)
        continue
      }
      const name = Name.fromString(file)
      if (Either.isLeft(name)) {
        yield* Effect.logWarning(`file ${full} name error: ${name.left}`)
        continue
      }
      blocks.push({ name: name.right, size: size.right })
    }
    return blocks
  })

  const create: BlocksService["create"] = (name, size, data) =>
    Effect.gen(function* () {
      const file = path(name)
      const exists = yield* Effect.promise(() => stat(file).then(() => true, () => false))
      if (exists) return yield* fail("file already exists")
      yield* Effect.tryPromise({
        try: async () => {
          await mkdir(dir, { recursive: true, mode: 0o700 })
          const fh = await open(file, "wx", 0o600)
          try {
            await fh.chmod(0o600)
            if (Option.isSome(data)) await fh.writeFile(data.value)
          } finally {
            await fh.close()
          }
        },
        // a concurrent create of the same name loses the exclusive open
        catch: (e) =>
          fail(typeof e === "object" && e !== null && "code" in e && e.code === "EEXIST" ? "file already exists" : `file ${file}: ${errnoText(e)}`)
      })
      // [QUIRK] kept: the file already exists when the size turns out to be invalid
      const bytes = bytesOfMb(size)
      if (Either.isLeft(bytes)) return yield* fail(bytes.left)
      yield* Effect.tryPromise({ try: () => truncate(file, bytes.right), catch: (e) => fail(`file ${file}: ${errnoText(e)}`) })
    })

  const set = <E, R>(name: Name, size: number, compressed: boolean, chunks: Stream.Stream<Uint8Array, E, R>) =>
    Effect.gen(function* () {
      const file = path(name)
      const cap = bytesOfMb(size)
      if (Either.isLeft(cap)) return yield* fail(cap.left)
      const runtime = yield* Effect.runtime<R>()
      let upstream: Option.Option<E> = Option.none()
      const source = chunks.pipe(
        Stream.catchAll((e) => {
          upstream = Option.some(e)
          return Stream.fail(new UpstreamFailed())
        })
      )
      // which stage failed is recorded where it happens: pipeline may surface another
      // stage's (premature close) error first
      let exceeded = false
      let inflateError: string | undefined
      const limit = async function* (input: AsyncIterable<Buffer>) {
        let total = 0
        for await (const chunk of input) {
          total += chunk.length
          if (total > cap.right) {
            exceeded = true
            throw new Exceeded()
          }
          yield chunk
        }
      }
      // the abort signal fires when this fiber is interrupted: the pipeline stops and closes the file
      const result = yield* Effect.tryPromise(async (signal) => {
        const input = Readable.from(Stream.toAsyncIterableRuntime(source, runtime), { objectMode: false })
        const output = createWriteStream(file, { flags: "w", mode: 0o600 })
        if (compressed) {
          const inflater = createInflate()
          inflater.on("error", (e: NodeJS.ErrnoException) => {
            if (typeof e.code === "string" && e.code.startsWith("Z_")) inflateError ??= e.message
          })
          await pipeline(input, inflater, limit, output, { signal })
        } else {
          await pipeline(input, limit, output, { signal })
        }
      }).pipe(Effect.either)
      if (Either.isLeft(result)) {
        if (Option.isSome(upstream)) return yield* Effect.fail(upstream.value)
        const cause = result.left.error
        if (exceeded) return yield* fail("stream exceeds size")
        if (inflateError !== undefined) return yield* fail(`failed to uncompress: ${inflateError}`)
        yield* Effect.logError(`error writing ${file}: ${errnoText(cause)}`)
        return yield* fail("error writing to file descriptor")
      }
      yield* Effect.tryPromise({ try: () => truncate(file, cap.right), catch: (e) => fail(`file ${file}: ${errnoText(e)}`) })
    })

  const dump = (name: Name, level: number): Stream.Stream<Uint8Array, BlockError> =>
    Stream.suspend(() => {
      const file = path(name)
      const reader = createReadStream(file, { highWaterMark: DUMP_CHUNK_MAX })
      const deflated = async function* (): AsyncGenerator<Buffer> {
        const deflater = createDeflate({ level: Math.min(9, Math.trunc(level)), windowBits: 15, chunkSize: DUMP_CHUNK_MAX })
        // pipeline propagates a read error into the deflater, which then fails the iteration
        const done = pipeline(reader, deflater)
        done.catch(() => {})
        yield* deflater
        await done
      }
      const source: AsyncIterable<Buffer> = level > 0 ? deflated() : reader
      return Stream.fromAsyncIterable(source, (e) => e).pipe(
        Stream.tapError((e) => Effect.logError(`error streaming ${file}: ${errnoText(e)}`)),
        Stream.mapError(() => fail("streaming block device")),
        Stream.mapConcat((chunk) => rechunk(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
      )
    })

  return {
    path,
    discover,
    create,
    remove: (name) =>
      Effect.tryPromise({ try: () => rm(path(name), { force: true }), catch: (e) => fail(`file ${path(name)}: ${errnoText(e)}`) }),
    set,
    dump
  }
}

export const BlocksLive: Layer.Layer<Blocks, never, HostPaths> = Layer.effect(Blocks, Effect.map(HostPaths, makePosixBlocks))
