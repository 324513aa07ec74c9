/** Success replies and data messages of protocol version 5 (spec §6.6). */
import { Schema } from "effect"
import { Name } from "./name.js"
import { Policy } from "./policy.js"
import { Stats } from "./stats.js"
import { UnikernelInfo } from "./unikernel.js"

export const NamedPolicy = Schema.Struct({ name: Name, policy: Policy })
export type NamedPolicy = typeof NamedPolicy.Type

export const NamedUnikernelInfo = Schema.Struct({ name: Name, info: UnikernelInfo })
export type NamedUnikernelInfo = typeof NamedUnikernelInfo.Type

export const BlockDeviceEntry = Schema.Struct({
  name: Name,
  /** Size in MB. */
  size: Schema.Number,
  active: Schema.Boolean
})
export type BlockDeviceEntry = typeof BlockDeviceEntry.Type

export const Success = Schema.Union(
  Schema.TaggedStruct("Empty", {}),
  Schema.TaggedStruct("String", { message: Schema.String }),
  Schema.TaggedStruct("Policies", { policies: Schema.Array(NamedPolicy) }),
  Schema.TaggedStruct("UnikernelInfo", { unikernels: Schema.Array(NamedUnikernelInfo) }),
  Schema.TaggedStruct("OldUnikernelInfo4", { unikernels: Schema.Array(NamedUnikernelInfo) }),
  Schema.TaggedStruct("OldUnikernelInfo5", { unikernels: Schema.Array(NamedUnikernelInfo) }),
  Schema.TaggedStruct("UnikernelImage", { compressed: Schema.Boolean, image: Schema.Uint8ArrayFromSelf }),
  Schema.TaggedStruct("BlockDevices", { blockDevices: Schema.Array(BlockDeviceEntry) }),
  Schema.TaggedStruct("BlockDeviceImage", { compressed: Schema.Boolean }),
  Schema.TaggedStruct("OldBlockDeviceImage", { compressed: Schema.Boolean, image: Schema.Uint8ArrayFromSelf }),
  Schema.TaggedStruct("Consoles", { consoles: Schema.Array(Name) })
)
export type Success = typeof Success.Type

export const Data = Schema.Union(
  /** `line` is raw bytes: a unikernel's console is not guaranteed to be UTF-8. */
  Schema.TaggedStruct("ConsoleData", { timestamp: Schema.DateFromSelf, line: Schema.Uint8ArrayFromSelf }),
  /** `data: null` ends a block dump stream. */
  Schema.TaggedStruct("BlockData", { data: Schema.NullOr(Schema.Uint8ArrayFromSelf) }),
  Schema.TaggedStruct("StatsData", { stats: Stats })
)
export type Data = typeof Data.Type
