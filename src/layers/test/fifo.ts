/** In-memory FIFOs: a set of paths, plus paths the test marks as "exists and is not a fifo". */
import { Effect, Layer } from "effect"
import { Fifo, FifoError, type FifoService } from "../../services/fifo.js"

export class TestFifos {
  readonly fifos = new Set<string>()
  /** Paths occupied by something else. */
  readonly otherFiles = new Set<string>()
  /** When set, create fails with `file <path> error in mkfifo: <this>`. */
  failCreate: string | undefined = undefined

  readonly service: FifoService = {
    create: (path) =>
      Effect.suspend(() => {
        if (this.otherFiles.has(path)) return Effect.fail(new FifoError({ message: `file ${path} exists and is not a fifo` }))
        if (this.fifos.has(path)) return Effect.void
        if (this.failCreate !== undefined) {
          return Effect.fail(new FifoError({ message: `file ${path} error in mkfifo: ${this.failCreate}` }))
        }
        this.fifos.add(path)
        return Effect.void
      }),
    remove: (path) => Effect.sync(() => void this.fifos.delete(path))
  }

  readonly layer: Layer.Layer<Fifo> = Layer.succeed(Fifo, this.service)
}
