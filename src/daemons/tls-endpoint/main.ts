/**
 * albatross-tls-endpoint (spec §10): a TLS 1.3 server that requires a client certificate
 * chain leading to the single CA, reads the command from the leaf and forwards it to the
 * local daemons. Listens on TCP (`[--ip]:--port`, dual stack), on the socket systemd hands
 * over (fd 3), or serves one session on stdin (`--inetd`).
 *
 * Beyond the reference: a handshake timeout, an idle timeout on client data, a bound on
 * concurrent sessions and on frame sizes.
 */
import { constants } from "node:crypto"
import * as net from "node:net"
import * as tls from "node:tls"
import { Data, Duration, Effect, FiberRef, FiberSet, LogLevel, type Scope } from "effect"
import { MAX_FRAME_DEFAULT } from "../../wire/framing.js"
import { systemdListenFd } from "../../net/server.js"
import { type Credentials, loadCredentials } from "./credentials.js"
import { type DirectOptions, type LogLevelName, serveDirect } from "./direct.js"
import { serveAuthorized, serveSession, type SessionOptions } from "./session.js"

export class EndpointError extends Data.TaggedError("EndpointError")<{ readonly message: string }> {}

export interface EndpointOptions {
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
  readonly tmpdir: string
  readonly listen: { readonly _tag: "Tcp"; readonly ip: string; readonly port: number } | { readonly _tag: "Systemd" } | { readonly _tag: "Inetd" }
  readonly maxSessions?: number
  readonly handshakeTimeout?: Duration.DurationInput
  readonly idleTimeout?: Duration.DurationInput
  readonly maxFrame?: number
}

/**
 * Pending connections the kernel queues for us. The reference's 10 drops SYNs as soon as a few
 * dozen clients connect at once (each then waits a second for the retransmission); sessions
 * are bounded by `maxSessions` either way.
 */
const LISTEN_BACKLOG = 128

export const DEFAULTS = {
  maxSessions: 256,
  handshakeTimeout: Duration.seconds(10),
  idleTimeout: Duration.minutes(5)
}

const tlsOptions = (creds: Credentials, handshakeTimeout: Duration.Duration): tls.TlsOptions => ({
  ca: [creds.caPem],
  cert: creds.servedCertPem,
  key: creds.keyPem,
  minVersion: "TLSv1.3",
  maxVersion: "TLSv1.3",
  // Clients never resume (a fresh leaf per request). With this option OpenSSL's TLS 1.3 tickets
  // are stateful: it still sends two, but no longer serialises and encrypts the session (the
  // client's certificate in it) for each: 10-20 % less CPU per request (BENCHMARKS.md ## tls).
  secureOptions: constants.SSL_OP_NO_TICKET,
  requestCert: true,
  // verified, but refused after the handshake with a reason (see authorize.ts)
  rejectUnauthorized: false,
  handshakeTimeout: Duration.toMillis(handshakeTimeout)
})

const sessionOptions = (options: EndpointOptions, creds: Credentials): SessionOptions => {
  const maxFrame = options.maxFrame ?? MAX_FRAME_DEFAULT
  return {
    ca: creds.ca,
    tmpdir: options.tmpdir,
    idleTimeout: options.idleTimeout ?? DEFAULTS.idleTimeout,
    maxFrame,
    maxImage: maxFrame
  }
}

/** `--inetd`: one session over the socket on stdin. */
const serveInetd = (options: EndpointOptions, creds: Credentials): Effect.Effect<void, EndpointError> =>
  Effect.gen(function* () {
    const handshakeTimeout = Duration.decode(options.handshakeTimeout ?? DEFAULTS.handshakeTimeout)
    const raw = yield* Effect.try({
      try: () => new net.Socket({ fd: 0, readable: true, writable: true }),
      catch: (e) => new EndpointError({ message: `stdin is not a socket: ${e instanceof Error ? e.message : String(e)}` })
    })
    // handed to an unlistening tls.Server: the handshake and the client-certificate verdict
    // (`authorized`) are then exactly those of listening mode
    const server = tls.createServer(tlsOptions(creds, handshakeTimeout))
    const socket = yield* Effect.async<tls.TLSSocket, EndpointError>((resume) => {
      server.once("secureConnection", (s: tls.TLSSocket) => resume(Effect.succeed(s)))
      server.once("tlsClientError", (e: Error, s: tls.TLSSocket) => {
        s.destroy()
        resume(Effect.fail(new EndpointError({ message: `error establishing TLS connection: ${e.message}` })))
      })
      server.emit("connection", raw)
    })
    yield* serveSession(socket, sessionOptions(options, creds))
  })

/** Listening mode; resolves with the bound address once listening, serves until the scope closes. */
const serveListening = (
  options: EndpointOptions,
  creds: Credentials
): Effect.Effect<net.AddressInfo | undefined, EndpointError, Scope.Scope> =>
  Effect.gen(function* () {
    const run = yield* FiberSet.makeRuntime<never>()
    const handshakeTimeout = Duration.decode(options.handshakeTimeout ?? DEFAULTS.handshakeTimeout)
    const session = sessionOptions(options, creds)
    const minimumLevel = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const logAt = { Error: Effect.logError, Warning: Effect.logWarning, Debug: Effect.logDebug }
    const direct: DirectOptions = {
      ca: creds.ca,
      tmpdir: options.tmpdir,
      maxFrame: session.maxFrame,
      debug: LogLevel.lessThanEqual(minimumLevel, LogLevel.Debug),
      log: (level: LogLevelName, message: string) => run(logAt[level](message)),
      streaming: (socket, authority) => run(serveAuthorized(socket, authority, session))
    }
    const max = options.maxSessions ?? DEFAULTS.maxSessions
    const server = tls.createServer(tlsOptions(creds, handshakeTimeout))
    const open = new Set<net.Socket>()
    server.on("connection", (raw: net.Socket) => {
      if (open.size >= max) {
        run(Effect.logWarning(`refusing a connection: ${max} sessions already open`))
        raw.destroy()
        return
      }
      open.add(raw)
      raw.once("close", () => open.delete(raw))
    })
    // sessions with a single reply are served on the sockets directly (direct.ts), the others as Effects
    server.on("secureConnection", (socket: tls.TLSSocket) => serveDirect(socket, direct))
    server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
      // with a listener, Node leaves the socket to us (a handshake timeout included)
      socket.destroy()
      run(Effect.logError(`error establishing TLS connection: ${err.message}`))
    })
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const raw of open) raw.destroy()
      })
    )
    const fd = systemdListenFd()
    if (options.listen._tag === "Systemd" && fd === undefined)
      return yield* new EndpointError({ message: "Systemd socket activation error" })
    const listen = options.listen
    const start = (done: () => void) =>
      listen._tag === "Tcp"
        ? server.listen({ host: listen.ip, port: listen.port, backlog: LISTEN_BACKLOG, ipv6Only: false }, done)
        : server.listen({ fd: fd! }, done)
    yield* Effect.async<void, EndpointError>((resume) => {
      const onError = (e: Error) => resume(Effect.fail(new EndpointError({ message: `couldn't listen: ${e.message}` })))
      server.once("error", onError)
      start(() => {
        server.off("error", onError)
        resume(Effect.void)
      })
    })
    const address = server.address()
    const bound = typeof address === "object" && address !== null ? `${address.address} port ${address.port}` : "a socket"
    const where = listen._tag === "Systemd" ? `systemd socket (fd 3, ${bound})` : bound
    yield* Effect.logInfo(`listening on ${where}`)
    server.on("error", (e) => run(Effect.logError(`server error: ${e.message}`)))
    return typeof address === "object" && address !== null ? address : undefined
  })

/** Starts the endpoint in the current scope; the address is `undefined` in inetd and systemd modes. */
export const startEndpoint = (options: EndpointOptions): Effect.Effect<net.AddressInfo | undefined, EndpointError, Scope.Scope> =>
  Effect.gen(function* () {
    const creds = yield* Effect.mapError(
      loadCredentials(options.caFile, options.certFile, options.keyFile),
      (e) => new EndpointError({ message: e.message })
    )
    if (options.listen._tag === "Inetd") {
      yield* serveInetd(options, creds)
      return undefined
    }
    return yield* serveListening(options, creds)
  })

export const runEndpoint = (options: EndpointOptions): Effect.Effect<void, EndpointError> =>
  Effect.scoped(
    Effect.flatMap(startEndpoint(options), () => (options.listen._tag === "Inetd" ? Effect.void : Effect.never))
  )
