/**
 * Remote mode (spec §11.3): a fresh key and a five-minute leaf carrying the command, signed
 * by the operator's CA key, checked locally against the server CA, then one TLS session with
 * the endpoint; replies are handled exactly as for a local daemon.
 */
import * as fs from "node:fs"
import { Effect, Either, Option } from "effect"
import type { Command } from "../../domain/command.js"
import { endpointOf } from "../../domain/endpoint.js"
import { Name } from "../../domain/name.js"
import type { Wire } from "../../domain/wire.js"
import type { Connection } from "../../net/connection.js"
import { certificatesFromPem, type Certificate, readAlbatrossExtension, toPem } from "../../tls/certs.js"
import { verifyChain } from "../../tls/chain.js"
import { type KeyType, privateKeyFromPem, privateKeyToPem } from "../../tls/keys.js"
import { type Report, writeCsr } from "../../tls/ca.js"
import { checkKeyMatches, leafCommonName, makeLeaf, preCheck } from "../../tls/leaf.js"
import type { CryptoKeyPair } from "../../tls/x509.js"
import { app, type ClientEnv, error, rawStdout } from "../client-env.js"
import { ExitCode } from "../exit-code.js"
import { readRepliesOf, sendUpload, type Upload } from "../session.js"
import { connectRemote } from "./connect.js"
import type { RemoteDestination } from "./destination.js"

const readText = (file: string): Effect.Effect<string, string> =>
  Effect.try({ try: () => fs.readFileSync(file, "latin1"), catch: (e) => `couldn't read ${file}: ${e instanceof Error ? e.message : String(e)}` })

const certsOf = (file: string): Effect.Effect<ReadonlyArray<Certificate>, string> =>
  Effect.flatMap(readText(file), (pem) =>
    Effect.flatMap(Effect.mapError(certificatesFromPem(pem), (e) => `${file}: ${e.message}`), (certs) =>
      certs.length === 0 ? Effect.fail(`${file}: no certificate`) : Effect.succeed(certs)
    )
  )

const keyOf = (file: string): Effect.Effect<CryptoKeyPair, string> =>
  Effect.flatMap(readText(file), (pem) => Effect.mapError(privateKeyFromPem(pem), (e) => `${file}: ${e.message}`))

/** Fails with the exit code after logging the reason. */
const orExit = <A>(code: ExitCode, prefix = "") => (e: Effect.Effect<A, string>): Effect.Effect<A, ExitCode, ClientEnv> =>
  Effect.catchAll(e, (message) => Effect.zipRight(error(`${prefix}${message}`), Effect.fail(code)))

/** Steps 5-7 with a ready chain: validate, print (`-d -`) or connect, send, read. */
const session = (
  destination: RemoteDestination,
  chain: ReadonlyArray<Certificate>,
  key: CryptoKeyPair,
  name: Name,
  command: Command,
  upload: Upload | undefined
): Effect.Effect<ExitCode, ExitCode, ClientEnv> =>
  withConnection(destination, chain, key, (conn) =>
    Effect.gen(function* () {
      if (upload !== undefined) yield* sendUpload(conn, name, upload)
      return yield* readRepliesOf(conn, endpointOf(command).mode)
    })
  )

/** Validate the chain, then print it (`-d -`, exit 121) or run `use` on a TLS connection with it. */
const withConnection = <A>(
  destination: RemoteDestination,
  chain: ReadonlyArray<Certificate>,
  key: CryptoKeyPair,
  use: (conn: Connection) => Effect.Effect<A, ExitCode, ClientEnv>
): Effect.Effect<A, ExitCode, ClientEnv> =>
  Effect.gen(function* () {
    const serverCas = yield* orExit<ReadonlyArray<Certificate>>(ExitCode.cliError)(certsOf(destination.serverCa))
    yield* orExit<ReadonlyArray<Certificate>>(ExitCode.chainFailure, "certificate chain validation failed: ")(
      Effect.mapError(verifyChain(chain, serverCas), (e) => e.message)
    )
    if (destination.host === "-") {
      yield* rawStdout(chain.map(toPem).join(""))
      return yield* Effect.fail<ExitCode>(ExitCode.communicationFailed)
    }
    const keyPem = yield* orExit<string>(ExitCode.internalError)(Effect.mapError(privateKeyToPem(key.privateKey), (e) => e.message))
    const serverCaPem = serverCas.map(toPem).join("")
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const conn = yield* Effect.either(
          connectRemote({ host: destination.host, port: destination.port, certChainPem: chain.map(toPem).join(""), keyPem, serverCaPem })
        )
        if (Either.isLeft(conn)) {
          const e = conn.left
          yield* error(
            e.kind === "connect"
              ? `couldn't connect to ${destination.host}:${destination.port}: ${e.message}`
              : `${e.kind === "local-auth" ? "local" : "remote"} authentication failure: ${e.message}`
          )
          return yield* Effect.fail<ExitCode>(
            e.kind === "connect" ? ExitCode.connectFailed : e.kind === "local-auth" ? ExitCode.localAuthenticationFailed : ExitCode.remoteAuthenticationFailed
          )
        }
        return yield* use(conn.right)
      })
    )
  })

/** Steps 1-4: the CA material, the checks, and a fresh leaf; the chain to present. */
const leafChain = (
  destination: RemoteDestination,
  name: Name,
  command: Command
): Effect.Effect<{ chain: ReadonlyArray<Certificate>; key: CryptoKeyPair }, ExitCode, ClientEnv> =>
  Effect.gen(function* () {
    const caChain = yield* orExit<ReadonlyArray<Certificate>>(ExitCode.cliError)(certsOf(destination.ca))
    const caKey = yield* orExit<CryptoKeyPair>(ExitCode.cliError)(keyOf(destination.caKey))
    const caCert = caChain[0]!
    yield* orExit<void>(ExitCode.cliError)(Effect.mapError(checkKeyMatches(caCert, caKey), (e) => e.message))
    const cn = yield* orExit<string>(ExitCode.cliError)(leafCommonName(name, command))
    yield* orExit<void>(ExitCode.cliError, "couldn't generate certificate chain: ")(preCheck(caCert, command))
    const leaf = yield* orExit<{ cert: Certificate; key: CryptoKeyPair }>(ExitCode.cliError, "couldn't generate certificate chain: ")(
      Effect.mapError(makeLeaf({ caCert, caKey, keyType: destination.keyType, commonName: cn, command }), (e) => e.message)
    )
    return { chain: [leaf.cert, ...caChain], key: leaf.key }
  })

/** A command in remote mode: the leaf is made here. */
export const executeRemote = (
  destination: RemoteDestination,
  name: Name,
  command: Command,
  upload?: Upload
): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.flatMap(leafChain(destination, name, command), ({ chain, key }) =>
    session(destination, chain, key, name, command, upload)
  ).pipe(Effect.merge)

/** One command, its first reply unprinted (`update`): the reply, or the exit code (the problem was logged). */
export const requestRemote = (
  destination: RemoteDestination,
  name: Name,
  command: Command
): Effect.Effect<Either.Either<Wire, ExitCode>, never, ClientEnv> =>
  Effect.flatMap(leafChain(destination, name, command), ({ chain, key }) =>
    withConnection(destination, chain, key, (conn) =>
      Effect.gen(function* () {
        const reply = yield* Effect.either(conn.readWire)
        if (Either.isLeft(reply)) {
          yield* error(`communication failure: ${reply.left.message}`)
          return yield* Effect.fail<ExitCode>(ExitCode.communicationFailed)
        }
        if (Option.isNone(reply.right)) {
          yield* error("connection closed by the endpoint before any reply")
          return yield* Effect.fail<ExitCode>(ExitCode.communicationFailed)
        }
        return reply.right.value
      })
    )
  ).pipe(Effect.either)

/** `certificate CERT KEY`: send with an existing leaf; the command is the one in the certificate. */
export const executeCertificate = (destination: RemoteDestination, certFile: string, keyFile: string): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.gen(function* () {
    const chain = yield* orExit<ReadonlyArray<Certificate>>(ExitCode.cliError)(certsOf(certFile))
    const key = yield* orExit<CryptoKeyPair>(ExitCode.cliError)(keyOf(keyFile))
    const leaf = chain[0]!
    yield* orExit<void>(ExitCode.cliError)(Effect.mapError(checkKeyMatches(leaf, key), (e) => e.message))
    const ext = readAlbatrossExtension(leaf.extensions)
    if (Option.isNone(ext) || Either.isLeft(ext.value)) {
      yield* error(`${certFile}: the certificate carries no albatross command`)
      return ExitCode.cliError
    }
    const command = ext.value.right.command
    return yield* session(destination, chain, key, Name.root, command, undefined)
  }).pipe(Effect.merge)

/** `--csr`: `<CN>.key` (reused or made) and `<CN>.req` in the current directory. */
export const executeCsr = (keyType: KeyType, name: Name, command: Command): Effect.Effect<ExitCode, never, ClientEnv> =>
  Effect.gen(function* () {
    const cn = yield* orExit<string>(ExitCode.cliError, "error while creating CSR: ")(leafCommonName(name, command))
    const report = yield* orExit<Report>(ExitCode.cliError, "error while creating CSR: ")(
      Effect.mapError(writeCsr(cn, command, keyType), (e) => e.message)
    )
    for (const line of report.info) yield* app(line)
    return ExitCode.success
  }).pipe(Effect.merge)
