/**
 * The remote and CSR destination options every command subcommand takes (spec §11.1):
 * `--destination/-d HOST[:PORT]`, `--csr`, and the key options `--ca`, `--ca-key`,
 * `--server-ca`, `--key-type`.
 */
import { Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { DEFAULT_KEY_TYPE, isKeyType, KEY_TYPES, type KeyType } from "../../tls/key-types.js"
import { cliError, type ClientExit } from "../exit-code.js"
import { parseHostPort, type RemoteDestination } from "./destination.js"

export const remoteOptions = {
  destination: Options.text("destination").pipe(
    Options.withAlias("d"),
    Options.withDescription("Remote albatross-tls-endpoint HOST[:PORT] (port 1025 by default); '-' prints the certificate chain"),
    Options.optional
  ),
  csr: Options.boolean("csr").pipe(Options.withDescription("Write a key and a certificate signing request for the command instead of executing it")),
  ca: Options.text("ca").pipe(Options.withDefault("ca.pem"), Options.withDescription("CA certificate (chain) signing the leaf, remote mode")),
  caKey: Options.text("ca-key").pipe(Options.withDefault("ca.key"), Options.withDescription("Private key of --ca, remote mode")),
  serverCa: Options.text("server-ca").pipe(Options.withDefault("cacert.pem"), Options.withDescription("CA of the endpoint's certificate, remote mode")),
  keyType: Options.choice("key-type", KEY_TYPES).pipe(
    Options.withDefault(DEFAULT_KEY_TYPE),
    Options.withDescription("Type of the generated key (leaf or CSR)")
  )
}

export interface RemoteArgs {
  readonly destination?: Option.Option<string>
  readonly csr?: boolean
  readonly ca?: string
  readonly caKey?: string
  readonly serverCa?: string
  readonly keyType?: KeyType | string
}

export type NonLocal = RemoteDestination | { readonly _tag: "Csr"; readonly keyType: KeyType }

/** `None` = local mode. */
export const resolveRemote = (
  args: RemoteArgs & { readonly socket: Option.Option<string> }
): Effect.Effect<Option.Option<NonLocal>, ClientExit> => {
  const destination = args.destination ?? Option.none()
  const csr = args.csr === true
  const chosen = [Option.isSome(args.socket), Option.isSome(destination), csr].filter((b) => b).length
  if (chosen > 1) return Effect.fail(cliError("The options --csr, --destination, and --socket are mutually exclusive"))
  const keyType = args.keyType !== undefined && isKeyType(args.keyType) ? args.keyType : DEFAULT_KEY_TYPE
  if (csr) return Effect.succeed(Option.some({ _tag: "Csr", keyType }))
  if (Option.isNone(destination)) return Effect.succeed(Option.none())
  if (destination.value === "-")
    return Effect.succeed(Option.some({ _tag: "Remote", host: "-", port: 0, ca: args.ca ?? "ca.pem", caKey: args.caKey ?? "ca.key", serverCa: args.serverCa ?? "cacert.pem", keyType }))
  const hp = parseHostPort(destination.value)
  if (Either.isLeft(hp)) return Effect.fail(cliError(`invalid destination ${destination.value}: ${hp.left}`))
  return Effect.succeed(
    Option.some({ _tag: "Remote", ...hp.right, ca: args.ca ?? "ca.pem", caKey: args.caKey ?? "ca.key", serverCa: args.serverCa ?? "cacert.pem", keyType })
  )
}
