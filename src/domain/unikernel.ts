/** Unikernel configuration, restart arguments and info (spec §2.2, §4.4, §6.6). */
import { Schema } from "effect"

export const Typ = Schema.Literal("solo5", "bhyve")
export type Typ = typeof Typ.Type

export const FailBehaviour = Schema.Union(
  Schema.TaggedStruct("Quit", {}),
  /** `exitCodes: null` restarts on every exit code (an empty set on the wire). */
  Schema.TaggedStruct("Restart", { exitCodes: Schema.NullOr(Schema.Array(Schema.Number)) })
)
export type FailBehaviour = typeof FailBehaviour.Type

/** A MAC address in lower-case colon form, `00:80:41:aa:bb:cc`. */
export const Mac = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/))
export type Mac = typeof Mac.Type

export const BlockSpec = Schema.Struct({
  /** Unikernel-side device name. */
  name: Schema.String,
  /** Host block device name (defaults to `name`). */
  device: Schema.NullOr(Schema.String),
  sectorSize: Schema.NullOr(Schema.Number)
})
export type BlockSpec = typeof BlockSpec.Type

export const NetSpec = Schema.Struct({
  /** Unikernel-side network interface name. */
  netif: Schema.String,
  /** Host bridge (defaults to `netif`). */
  bridge: Schema.NullOr(Schema.String),
  mac: Schema.NullOr(Mac)
})
export type NetSpec = typeof NetSpec.Type

const argumentFields = {
  failBehaviour: FailBehaviour,
  /** Boot-order priority on daemon start; lower first, absent = 50. */
  startup: Schema.NullOr(Schema.Number),
  addName: Schema.Boolean,
  /** CPU ids, a set: ascending, no duplicates. */
  cpuids: Schema.Array(Schema.Number),
  memory: Schema.Number,
  blockDevices: Schema.Array(BlockSpec),
  bridges: Schema.Array(NetSpec),
  argv: Schema.NullOr(Schema.Array(Schema.String)),
  numcpus: Schema.Number,
  linuxBootPartition: Schema.NullOr(Schema.String)
}

/** What a restart with arguments replaces: the configuration without typ, compressed and image. */
export const UnikernelArguments = Schema.Struct(argumentFields)
export type UnikernelArguments = typeof UnikernelArguments.Type

export const UnikernelConfig = Schema.Struct({
  typ: Typ,
  compressed: Schema.Boolean,
  image: Schema.Uint8ArrayFromSelf,
  ...argumentFields
})
export type UnikernelConfig = typeof UnikernelConfig.Type

export const BlockInfo = Schema.Struct({
  unikernelDevice: Schema.String,
  hostDevice: Schema.String,
  sectorSize: Schema.Number,
  /** Size in MB. */
  size: Schema.Number
})
export type BlockInfo = typeof BlockInfo.Type

export const NetInfo = Schema.Struct({
  unikernelDevice: Schema.String,
  hostDevice: Schema.String,
  mac: Mac
})
export type NetInfo = typeof NetInfo.Type

export const UnikernelInfo = Schema.Struct({
  typ: Typ,
  failBehaviour: FailBehaviour,
  startup: Schema.NullOr(Schema.Number),
  cpuids: Schema.Array(Schema.Number),
  memory: Schema.Number,
  blockDevices: Schema.Array(BlockInfo),
  bridges: Schema.Array(NetInfo),
  argv: Schema.NullOr(Schema.Array(Schema.String)),
  /** Solo5: SHA-256 of the uncompressed image; bhyve: the VM name. */
  digest: Schema.Uint8ArrayFromSelf,
  started: Schema.DateFromSelf,
  numcpus: Schema.Number,
  linuxBootPartition: Schema.NullOr(Schema.String)
})
export type UnikernelInfo = typeof UnikernelInfo.Type
