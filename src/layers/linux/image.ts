/**
 * Image on a POSIX host (Linux and FreeBSD): node:zlib, node:crypto, atomic writes. The note
 * parsing and manifest check are the pure functions of `domain/solo5-elf.ts`.
 */
import { createHash } from "node:crypto"
import { promisify } from "node:util"
import { deflate, inflate } from "node:zlib"
import { Effect, Either, Layer } from "effect"
import { readAbi, readManifest } from "../../domain/solo5-elf.js"
import { Image, ImageError, type ImageService, type Solo5Image } from "../../services/image.js"
import { unlinkIfPresent, writeFileAtomic } from "./atomic-file.js"
import { errnoText } from "./errno-text.js"

const inflateAsync = promisify(inflate)
const deflateAsync = promisify(deflate)

const zlibText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Inflated images larger than this are refused: a few MB of hostile zlib input would otherwise
 * inflate to gigabytes inside the daemon (the reference has no limit).
 */
export const MAX_INFLATED_IMAGE = 1 << 30

export const inflateImage = (bytes: Uint8Array): Effect.Effect<Uint8Array, ImageError> =>
  Effect.tryPromise({
    try: async () => new Uint8Array(await inflateAsync(bytes, { maxOutputLength: MAX_INFLATED_IMAGE })),
    catch: (e) => new ImageError({ message: `failed to uncompress: ${zlibText(e)}` })
  })

export const deflateImage = (bytes: Uint8Array, level: number): Effect.Effect<Uint8Array, ImageError> =>
  Effect.tryPromise({
    try: async () =>
      new Uint8Array(await deflateAsync(bytes, { level: Math.min(9, Math.max(1, Math.trunc(level))), windowBits: 15 })),
    catch: (e) => new ImageError({ message: `failed to compress: ${zlibText(e)}` })
  })

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest())

/** Spec §5.4 steps 1-3, shared by the real and the test layer (it touches no file). */
export const inspectImage = (compressed: boolean, bytes: Uint8Array): Effect.Effect<Solo5Image, ImageError> =>
  Effect.gen(function* () {
    const image = compressed ? yield* inflateImage(bytes) : bytes
    const digest = sha256(image)
    const abi = readAbi(image)
    if (Either.isLeft(abi)) return yield* new ImageError({ message: `failed to read the Solo5 ABI: ${abi.left}` })
    const { target, targetCode, version } = abi.right
    if (target !== "hvt" && target !== "spt") {
      return yield* new ImageError({ message: `unsupported solo5 target ${target ?? `unknown (${targetCode})`}` })
    }
    const manifest = readManifest(image)
    if (Either.isLeft(manifest)) {
      return yield* new ImageError({ message: `failed to read the Solo5 manifest: ${manifest.left}` })
    }
    return { image, digest, target, abi: version, manifest: manifest.right }
  })

export const IMAGE_MODE = 0o644

export const posixImage: ImageService = {
  inflate: inflateImage,
  deflate: deflateImage,
  inspect: inspectImage,
  write: (path, image) =>
    Effect.tryPromise({
      try: () => writeFileAtomic(path, image, { mode: IMAGE_MODE, durable: false }),
      catch: (e) => new ImageError({ message: `file ${path}: ${errnoText(e)}` })
    }),
  // one unlink(2), synchronous: microseconds, where fs.promises.rm took two thread-pool round
  // trips (lstat, unlink) of about a millisecond each while a destroy waits for them
  remove: (path) =>
    Effect.try({
      try: () => unlinkIfPresent(path),
      catch: (e) => new ImageError({ message: `file ${path}: ${errnoText(e)}` })
    })
}

export const ImageLive: Layer.Layer<Image> = Layer.succeed(Image, posixImage)
