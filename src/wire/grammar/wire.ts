/** The message, its header and payload, and the certificate extension (spec §6.2, §6.6). */
import type { Command as CommandT } from "../../domain/command.js"
import type { CertExtension as CertExtensionT, Header as HeaderT, Payload as PayloadT, Wire as WireT } from "../../domain/wire.js"
import { bigInt, choice, type Codec, explicit, fail, int64, map, sequence, utf8, variant } from "../der/index.js"
import { NameCodec } from "./common.js"
import { Command } from "./command.js"
import { Data } from "./data.js"
import { Success } from "./success.js"

/** The reference renders a bad version with OCaml's `%X` of a 63-bit int. */
const versionHex = (v: bigint): string => BigInt.asUintN(63, v).toString(16).toUpperCase()

/** version INTEGER -- always 5 */
export const Version: Codec<number> = map(
  bigInt,
  (v) => (v === 5n ? 5 : fail(`unknown version number 0x${versionHex(v)}`)),
  (v) => (v === 5 ? 5n : fail(`unknown version number ${v}`))
)

/** Header ::= SEQUENCE { version INTEGER, sequence Int64, name Name } */
export const Header: Codec<HeaderT> = sequence({ version: Version, sequence: int64, name: NameCodec })

/** Payload ::= CHOICE { command [0] Command, reply [1] Success, failure [2] UTF8String, data [3] Data } */
export const Payload: Codec<PayloadT> = choice<PayloadT>("Payload", [
  variant("command", explicit(0, Command), "Command", (command) => ({ _tag: "Command", command }), (p) => p.command),
  variant("reply", explicit(1, Success), "Success", (success) => ({ _tag: "Success", success }), (p) => p.success),
  variant("failure", explicit(2, utf8), "Failure", (message) => ({ _tag: "Failure", message }), (p) => p.message),
  variant("data", explicit(3, Data), "Data", (data) => ({ _tag: "Data", data }), (p) => p.data)
])

/** Wire ::= SEQUENCE { header Header, payload Payload } */
export const Wire: Codec<WireT> = sequence({ header: Header, payload: Payload })

/** CertExtension ::= SEQUENCE { version INTEGER (5), command Command } */
export const CertExtension: Codec<CertExtensionT> = sequence({ version: Version, command: Command as Codec<CommandT> })
