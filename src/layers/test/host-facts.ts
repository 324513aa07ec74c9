/** Fixed host facts for tests; every field can be changed, or made to fail, between calls. */
import { Effect, Layer } from "effect"
import { HostFacts, HostFactsError, type HostFactsService, type HostOs } from "../../services/host-facts.js"

export interface TestHostFactsValues {
  os: HostOs
  cpus: number
  memoryMb: number
  blockFilesystemMb: number
  bridges: ReadonlyArray<string>
  /** When set, every fact fails with this message. */
  failure: string | undefined
  /** When set, checkTools fails naming this tool. */
  missingTool: string | undefined
}

export class TestHostFacts {
  readonly values: TestHostFactsValues

  constructor(values: Partial<TestHostFactsValues> = {}) {
    this.values = {
      os: "Linux",
      cpus: 4,
      memoryMb: 16384,
      blockFilesystemMb: 102400,
      bridges: ["br0"],
      failure: undefined,
      missingTool: undefined,
      ...values
    }
  }

  private fact<A>(get: () => A): Effect.Effect<A, HostFactsError> {
    return Effect.suspend(() =>
      this.values.failure !== undefined
        ? Effect.fail(new HostFactsError({ message: this.values.failure }))
        : Effect.succeed(get())
    )
  }

  readonly service: HostFactsService = {
    os: this.fact(() => this.values.os),
    checkTools: Effect.suspend(() =>
      this.values.missingTool !== undefined
        ? Effect.fail(new HostFactsError({ message: `required tool ${this.values.missingTool} not found on PATH` }))
        : Effect.void
    ),
    onlineCpus: this.fact(() => this.values.cpus),
    memoryMb: this.fact(() => this.values.memoryMb),
    blockFilesystemMb: this.fact(() => this.values.blockFilesystemMb),
    bridges: this.fact(() => [...this.values.bridges].sort())
  }

  readonly layer: Layer.Layer<HostFacts> = Layer.succeed(HostFacts, this.service)
}
