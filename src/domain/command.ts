/**
 * Every command of protocol version 5 (spec §6.6), as a tagged union.
 * Legacy wire forms (old create tags, old restart argument forms) decode to these same values;
 * the `Old*` commands are the ones the protocol still names distinctly.
 */
import { Schema } from "effect"
import { Policy } from "./policy.js"
import { UnikernelArguments, UnikernelConfig } from "./unikernel.js"

export const ConsoleQuery = Schema.Union(
  Schema.TaggedStruct("Since", { since: Schema.DateFromSelf }),
  /** OCaml int: may be anything in [-2^62, 2^62-1], hence bigint. */
  Schema.TaggedStruct("Count", { count: Schema.BigIntFromSelf })
)
export type ConsoleQuery = typeof ConsoleQuery.Type

export const StatsTap = Schema.Struct({ bridge: Schema.String, tap: Schema.String })
export type StatsTap = typeof StatsTap.Type

export const ConsoleAdd = Schema.TaggedStruct("ConsoleAdd", {
  /** Ring buffers allowed for the path; 2^62-1 for the root path. */
  n: Schema.BigIntFromSelf
})
export const ConsoleSubscribe = Schema.TaggedStruct("ConsoleSubscribe", { query: ConsoleQuery })
export const ConsoleListInactive = Schema.TaggedStruct("ConsoleListInactive", {})

export const StatsAdd = Schema.TaggedStruct("StatsAdd", {
  vmmdev: Schema.String,
  pid: Schema.Number,
  taps: Schema.Array(StatsTap)
})
export const StatsRemove = Schema.TaggedStruct("StatsRemove", {})
export const StatsSubscribe = Schema.TaggedStruct("StatsSubscribe", {})
export const StatsInitial = Schema.TaggedStruct("StatsInitial", {})

export const UnikernelInfoCmd = Schema.TaggedStruct("UnikernelInfo", {})
export const OldUnikernelInfo4 = Schema.TaggedStruct("OldUnikernelInfo4", {})
export const OldUnikernelInfo5 = Schema.TaggedStruct("OldUnikernelInfo5", {})
export const UnikernelDestroy = Schema.TaggedStruct("UnikernelDestroy", {})
export const UnikernelCreate = Schema.TaggedStruct("UnikernelCreate", { config: UnikernelConfig })
export const UnikernelForceCreate = Schema.TaggedStruct("UnikernelForceCreate", { config: UnikernelConfig })
export const UnikernelRestart = Schema.TaggedStruct("UnikernelRestart", { args: Schema.NullOr(UnikernelArguments) })
/** `level` is the compression level; 0 = uncompressed. */
export const UnikernelGet = Schema.TaggedStruct("UnikernelGet", { level: Schema.Number })

export const PolicyInfo = Schema.TaggedStruct("PolicyInfo", {})
export const PolicyAdd = Schema.TaggedStruct("PolicyAdd", { policy: Policy })
export const PolicyRemove = Schema.TaggedStruct("PolicyRemove", {})

export const BlockInfoCmd = Schema.TaggedStruct("BlockInfo", {})
/** Size in MB. */
export const BlockAdd = Schema.TaggedStruct("BlockAdd", { size: Schema.Number })
export const BlockRemove = Schema.TaggedStruct("BlockRemove", {})
export const BlockSet = Schema.TaggedStruct("BlockSet", { compressed: Schema.Boolean })
export const BlockDump = Schema.TaggedStruct("BlockDump", { level: Schema.Number })
export const OldBlockAdd = Schema.TaggedStruct("OldBlockAdd", {
  size: Schema.Number,
  compressed: Schema.Boolean,
  data: Schema.NullOr(Schema.Uint8ArrayFromSelf)
})
export const OldBlockSet = Schema.TaggedStruct("OldBlockSet", {
  compressed: Schema.Boolean,
  data: Schema.Uint8ArrayFromSelf
})
export const OldBlockDump = Schema.TaggedStruct("OldBlockDump", { level: Schema.Number })

export const Command = Schema.Union(
  ConsoleAdd,
  ConsoleSubscribe,
  ConsoleListInactive,
  StatsAdd,
  StatsRemove,
  StatsSubscribe,
  StatsInitial,
  UnikernelInfoCmd,
  OldUnikernelInfo4,
  OldUnikernelInfo5,
  UnikernelDestroy,
  UnikernelCreate,
  UnikernelForceCreate,
  UnikernelRestart,
  UnikernelGet,
  PolicyInfo,
  PolicyAdd,
  PolicyRemove,
  BlockInfoCmd,
  BlockAdd,
  BlockRemove,
  BlockSet,
  BlockDump,
  OldBlockAdd,
  OldBlockSet,
  OldBlockDump
)
export type Command = typeof Command.Type
export type CommandTag = Command["_tag"]
