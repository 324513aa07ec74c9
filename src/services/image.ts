/**
 * Unikernel images (spec §5.4 steps 1-3 and 7, §5.5, §5.9): inflate, digest, the Solo5 ELF
 * notes, the manifest device check, the atomic image write. The pure parts (ELF parsing,
 * device check) live in `src/domain/solo5-elf.ts`; the service adds zlib and the file system.
 */
import { Context, Data, type Effect } from "effect"
import type { ManifestDevice, Solo5Target } from "../domain/solo5-elf.js"

export class ImageError extends Data.TaggedError("ImageError")<{ readonly message: string }> {}

/** A Solo5 image that passed spec §5.4 steps 1-3. */
export interface Solo5Image {
  /** The uncompressed image. */
  readonly image: Uint8Array
  /** SHA-256 of `image` (32 raw bytes). */
  readonly digest: Uint8Array
  /** Only hvt and spt pass (`unsupported solo5 target <t>`). */
  readonly target: Extract<Solo5Target, "hvt" | "spt">
  readonly abi: number
  /** Devices of `.note.solo5.manifest`, reserved entry excluded, in note order. */
  readonly manifest: ReadonlyArray<ManifestDevice>
}

export interface ImageService {
  /** zlib inflate; `failed to uncompress: <err>`. */
  readonly inflate: (bytes: Uint8Array) => Effect.Effect<Uint8Array, ImageError>
  /** zlib deflate at `level` 1-9 (window bits 15), for `Unikernel_get`. */
  readonly deflate: (bytes: Uint8Array, level: number) => Effect.Effect<Uint8Array, ImageError>
  /** Inflates when `compressed`, digests, reads the ABI and manifest notes. */
  readonly inspect: (compressed: boolean, bytes: Uint8Array) => Effect.Effect<Solo5Image, ImageError>
  /** Atomic write (temp file in the same directory, then rename), mode 0644. */
  readonly write: (path: string, image: Uint8Array) => Effect.Effect<void, ImageError>
  /** Removes the file; a missing file is not an error. */
  readonly remove: (path: string) => Effect.Effect<void, ImageError>
}

export class Image extends Context.Tag("albatross/Image")<Image, ImageService>() {}
