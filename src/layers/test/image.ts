/**
 * Image with an in-memory file system: the real inflate/digest/ELF logic (pure, fast) and a
 * Map of written files, so tests see which images exist without touching the disk.
 */
import { Effect, Layer } from "effect"
import { Image, ImageError, type ImageService } from "../../services/image.js"
import { deflateImage, inflateImage, inspectImage } from "../linux/image.js"

export class TestImages {
  /** path -> content */
  readonly files = new Map<string, Uint8Array>()
  /** When set, write fails with this message. */
  failWrite: string | undefined = undefined

  readonly service: ImageService = {
    inflate: inflateImage,
    deflate: deflateImage,
    inspect: inspectImage,
    write: (path, image) =>
      Effect.suspend(() => {
        if (this.failWrite !== undefined) return Effect.fail(new ImageError({ message: this.failWrite }))
        this.files.set(path, image)
        return Effect.void
      }),
    remove: (path) => Effect.sync(() => void this.files.delete(path))
  }

  readonly layer: Layer.Layer<Image> = Layer.succeed(Image, this.service)
}
