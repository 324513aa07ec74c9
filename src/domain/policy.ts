/** A resource policy for a path (spec §2.1). */
import { Schema } from "effect"

export const Policy = Schema.Struct({
  /** Maximum number of running unikernels. The discovered root policy uses 2^62-1, hence bigint. */
  unikernels: Schema.BigIntFromSelf,
  /** Allowed CPU ids, a set: ascending, no duplicates. */
  cpuids: Schema.Array(Schema.Number),
  /** Memory in MB. */
  memory: Schema.Number,
  /** Block storage in MB; `null` = no block storage allowed. */
  block: Schema.NullOr(Schema.Number),
  /** Allowed host bridges, a set: ascending, no duplicates. */
  bridges: Schema.Array(Schema.String)
})
export type Policy = typeof Policy.Type
