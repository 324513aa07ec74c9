/** Command line of albatross-tls-endpoint (spec §10.1). */
import { Args, Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import { isSilent } from "../../logging/level.js"
import { loggingLayer } from "../../logging/logger.js"
import { loggingOptions } from "../../logging/options.js"
import { defaultTmpdir, tmpdirOption } from "../stats/cli.js"
import { DEFAULTS, EndpointError, runEndpoint } from "./main.js"

const ca = Args.file({ name: "CA", exists: "yes" }).pipe(Args.withDescription("The CA certificate (exactly one) client chains must lead to"))
const cert = Args.file({ name: "CERT", exists: "yes" }).pipe(Args.withDescription("The server certificate (may be followed by its chain)"))
const key = Args.file({ name: "KEY", exists: "yes" }).pipe(Args.withDescription("The server's private key"))

const ip = Options.text("ip").pipe(Options.withDefault("::"), Options.withDescription("Address to listen on (:: = all, IPv4 and IPv6)"))
const port = Options.integer("port").pipe(Options.optional, Options.withDescription("TCP port to listen on (default 1025)"))
const systemd = Options.boolean("systemd-socket-activation").pipe(Options.withDescription("Take the listening socket from systemd (fd 3)"))
const inetd = Options.boolean("inetd").pipe(Options.withDescription("Serve one session on stdin (started by inetd); requires --syslog or -q"))
const positive = (name: string, fallback: number, description: string) =>
  Options.integer(name).pipe(
    Options.withDefault(fallback),
    Options.filterMap((n) => (n > 0 ? Option.some(n) : Option.none()), `${name} must be positive`),
    Options.withDescription(description)
  )
const maxSessions = positive("max-sessions", DEFAULTS.maxSessions, "Sessions served at once; more connections are closed")
const handshakeTimeout = positive(
  "handshake-timeout",
  Duration.toSeconds(DEFAULTS.handshakeTimeout),
  "Seconds a client has to complete the TLS handshake"
)
const idleTimeout = positive("idle-timeout", Duration.toSeconds(DEFAULTS.idleTimeout), "Seconds to wait for data from a client")

export const endpointCommand = Command.make(
  "albatross-tls-endpoint",
  { ca, cert, key, ip, port, systemd, inetd, tmpdir: tmpdirOption, maxSessions, handshakeTimeout, idleTimeout, ...loggingOptions },
  (o) =>
    Effect.gen(function* () {
      if (Option.isSome(o.port) && o.systemd)
        return yield* new EndpointError({ message: "Options --port and --systemd-socket-activation are not compatible" })
      if (o.inetd && !o.syslog && !isSilent({ verbose: o.verbose, quiet: o.quiet, verbosity: Option.getOrUndefined(o.verbosity) })) {
        // the reference: inetd mode needs syslog or quiet logging, else exit 3
        process.stderr.write("albatross-tls-endpoint: --inetd requires --syslog or -q (stdout carries the TLS session)\n")
        process.exit(3)
      }
      yield* runEndpoint({
        caFile: o.ca,
        certFile: o.cert,
        keyFile: o.key,
        tmpdir: o.tmpdir,
        listen: o.inetd ? { _tag: "Inetd" } : o.systemd ? { _tag: "Systemd" } : { _tag: "Tcp", ip: o.ip, port: Option.getOrElse(o.port, () => 1025) },
        maxSessions: o.maxSessions,
        handshakeTimeout: Duration.seconds(o.handshakeTimeout),
        idleTimeout: Duration.seconds(o.idleTimeout)
      })
    }).pipe(
      Effect.tapError((e) => Effect.logError(e.message)),
      Effect.provide(loggingLayer("albatross-tls-endpoint", o))
    )
).pipe(Command.withDescription("TLS endpoint for remote management of albatross"))

export { defaultTmpdir }
