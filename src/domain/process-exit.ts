/** How a tender process ended (spec §2.3), as waitpid reports it. */
import { Schema } from "effect"

export const ProcessExit = Schema.Union(
  Schema.TaggedStruct("Exit", { code: Schema.Number }),
  Schema.TaggedStruct("Signal", { signal: Schema.Number }),
  Schema.TaggedStruct("Stop", { signal: Schema.Number })
)
export type ProcessExit = typeof ProcessExit.Type
