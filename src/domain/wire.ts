/** A whole protocol message, the certificate extension and the persisted state (spec §6.6). */
import { Schema } from "effect"
import { Command } from "./command.js"
import { Name } from "./name.js"
import { Policy } from "./policy.js"
import { Data, Success } from "./reply.js"
import { UnikernelConfig } from "./unikernel.js"

/** The only protocol version albatross 2.x speaks. */
export const PROTOCOL_VERSION = 5

export const Header = Schema.Struct({
  version: Schema.Number,
  /** int64 on the wire. */
  sequence: Schema.BigIntFromSelf,
  name: Name
})
export type Header = typeof Header.Type

export const Payload = Schema.Union(
  Schema.TaggedStruct("Command", { command: Command }),
  Schema.TaggedStruct("Success", { success: Success }),
  Schema.TaggedStruct("Failure", { message: Schema.String }),
  Schema.TaggedStruct("Data", { data: Data })
)
export type Payload = typeof Payload.Type

export const Wire = Schema.Struct({ header: Header, payload: Payload })
export type Wire = typeof Wire.Type

/** Value of the X.509 extension 1.3.6.1.4.1.49836.42. */
export const CertExtension = Schema.Struct({ version: Schema.Number, command: Command })
export type CertExtension = typeof CertExtension.Type

export const NamedConfig = Schema.Struct({ name: Name, config: UnikernelConfig })
export type NamedConfig = typeof NamedConfig.Type

export const StatePolicy = Schema.Struct({ name: Name, policy: Policy })
export type StatePolicy = typeof StatePolicy.Type

/** The persisted `<dbdir>/state`: entries in trie pre-order. */
export const PersistedState = Schema.Struct({
  unikernels: Schema.Array(NamedConfig),
  policies: Schema.Array(StatePolicy)
})
export type PersistedState = typeof PersistedState.Type
