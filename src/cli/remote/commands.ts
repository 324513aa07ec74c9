/**
 * Subcommands of remote management (spec §11.2, §11.4): `certificate CERT KEY` (send with an
 * existing leaf), `generate NAME DB` and `sign CACERT DB KEY CSR` (the CA tooling).
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import type { Report } from "../../tls/ca.js"
import { DEFAULT_KEY_TYPE, KEY_TYPES } from "../../tls/key-types.js"
import { app, type ClientEnv, error, warn } from "../client-env.js"
import { type ClientExit, cliError, ExitCode } from "../exit-code.js"
import { runHandler } from "../handler.js"
import { DEFAULT_PORT, parseHostPort } from "./destination.js"

const keyType = Options.choice("key-type", KEY_TYPES).pipe(Options.withDefault(DEFAULT_KEY_TYPE), Options.withDescription("Type of the generated keys"))

const tell = (report: Report): Effect.Effect<void, never, ClientEnv> =>
  Effect.gen(function* () {
    for (const line of report.info) yield* app(line)
    for (const line of report.warnings) yield* warn(line)
  })

export const certificateCommand = Command.make(
  "certificate",
  {
    cert: Args.file({ name: "CERT", exists: "yes" }).pipe(Args.withDescription("Leaf certificate carrying the command (may be followed by its chain)")),
    key: Args.file({ name: "KEY", exists: "yes" }).pipe(Args.withDescription("Private key of the certificate")),
    destination: Options.text("destination").pipe(Options.withAlias("d"), Options.withDescription("HOST[:PORT] of the endpoint"), Options.optional),
    serverCa: Options.text("server-ca").pipe(Options.withDefault("cacert.pem"), Options.withDescription("CA of the endpoint's certificate"))
  },
  (a) =>
    runHandler(
      false,
      Effect.gen(function* () {
        const target = Option.getOrElse(a.destination, () => `localhost:${DEFAULT_PORT}`)
        const hp = target === "-" ? Either.right({ host: "-", port: 0 }) : parseHostPort(target)
        if (Either.isLeft(hp)) return yield* Effect.fail<ClientExit>(cliError(`invalid destination ${target}: ${hp.left}`))
        const { executeCertificate } = yield* Effect.promise(() => import("./execute.js"))
        return yield* executeCertificate(
          { _tag: "Remote", ...hp.right, ca: "", caKey: "", serverCa: a.serverCa, keyType: DEFAULT_KEY_TYPE },
          a.cert,
          a.key
        )
      })
    )
).pipe(Command.withDescription("Executes the command of an existing certificate at a remote albatross-tls-endpoint."))

const positiveDays = (name: string, description: string) =>
  Options.integer(name).pipe(
    Options.filterMap((n) => (n > 0 ? Option.some(n) : Option.none()), `${name} must be positive`),
    Options.withDescription(description)
  )

/** Loaded when used: the certificate library is a third of the client's start-up time. */
const caTooling = Effect.promise(() => import("../../tls/ca.js"))

export const generateCommand = Command.make(
  "generate",
  {
    name: Args.text({ name: "NAME" }).pipe(Args.withDescription("Name of the CA (its CN and key file NAME.key)")),
    db: Args.text({ name: "DB" }).pipe(Args.withDescription("File recording the serial numbers of signed certificates")),
    days: positiveDays("days", "Validity of the CA certificate in days").pipe(Options.withDefault(3650)),
    server: Options.text("server").pipe(Options.withDefault("server"), Options.withDescription("Name of the server certificate")),
    serverDays: positiveDays("server-days", "Validity of the server certificate in days").pipe(Options.withDefault(365)),
    keyType
  },
  (a) =>
    runHandler(
      false,
      caTooling.pipe(
        Effect.flatMap((ca) => ca.generate(a.name, a.db, { days: a.days, server: a.server, serverDays: a.serverDays, keyType: a.keyType })),
        Effect.flatMap((r) => Effect.as(tell(r), ExitCode.success)),
        Effect.catchAll((e) => Effect.as(error(`error while generating: ${e.message}`), ExitCode.cliError))
      )
    )
).pipe(Command.withDescription("Generates a CA certificate (cacert.pem) and a server certificate."))

export const signCommand = Command.make(
  "sign",
  {
    cacert: Args.file({ name: "CACERT", exists: "yes" }).pipe(Args.withDescription("The signing CA certificate")),
    db: Args.text({ name: "DB" }).pipe(Args.withDescription("File recording the serial numbers of signed certificates")),
    key: Args.file({ name: "KEY", exists: "yes" }).pipe(Args.withDescription("Private key of the CA")),
    csr: Args.file({ name: "CSR", exists: "yes" }).pipe(Args.withDescription("The signing request")),
    days: positiveDays("days", "Validity of the certificate in days (365 for CAs and servers, 1 for leaves)").pipe(Options.optional)
  },
  (a) =>
    runHandler(
      false,
      caTooling.pipe(
        Effect.flatMap((ca) => ca.sign(a.cacert, a.db, a.key, a.csr, Option.isSome(a.days) ? { days: a.days.value } : {})),
        Effect.flatMap((r) => Effect.as(tell(r), ExitCode.success)),
        Effect.catchAll((e) => Effect.as(error(`error while signing: ${e.message}`), ExitCode.cliError))
      )
    )
).pipe(Command.withDescription("Signs a certificate signing request: policy requests become sub-CAs, commands leaves."))

export const remoteCommands = [certificateCommand, generateCommand, signCommand] as const
