/**
 * The CA tooling of the client (spec §11.4): `generate` makes a self-signed CA and a server
 * certificate; `sign` turns CSRs into intermediate CAs (policy requests), client leaves
 * (other commands) or server certificates (no albatross extension). Every certificate signed
 * for a CSR is recorded in the DB file as `<hex serial> <CN>`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import { commandText } from "../domain/endpoint.js"
import { isSmaller, usable } from "../domain/policy-rules.js"
import { fineWithPolicy } from "../domain/unikernel-rules.js"
import { PROTOCOL_VERSION } from "../domain/wire.js"
import {
  albatrossExtension,
  caProfile,
  CertError,
  certificatesFromPem,
  type Certificate,
  cnName,
  commonName,
  issue,
  keyIdentifiers,
  leafProfile,
  randomSerial,
  serverProfile,
  toPem,
  wholeSeconds
} from "./certs.js"
import { createCsr, csrExtension, csrFromPem } from "./csr.js"
import { BACKDATE_SECONDS, policyOf } from "./leaf.js"
import { generateKeyPair, type KeyError, type KeyType, privateKeyFromPem, privateKeyToPem } from "./keys.js"
import type { CryptoKeyPair, x509 } from "./x509.js"

const DAY = 24 * 60 * 60 * 1000

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const io = <A>(what: string, f: () => A): Effect.Effect<A, CertError> =>
  Effect.try({ try: f, catch: (e) => new CertError({ message: `${what}: ${describe(e)}` }) })

/** What a CA operation wants said to the operator, in order. */
export interface Report {
  readonly info: Array<string>
  readonly warnings: Array<string>
  readonly written: Array<string>
}

const emptyReport = (): Report => ({ info: [], warnings: [], written: [] })

/** `<name>.key`: reused when it exists, else generated and written with mode 0400. */
export const ensureKey = (dir: string, name: string, keyType: KeyType, report: Report): Effect.Effect<CryptoKeyPair, CertError | KeyError> =>
  Effect.gen(function* () {
    const file = path.join(dir, `${name}.key`)
    if (fs.existsSync(file)) return yield* privateKeyFromPem(yield* io(`reading ${file}`, () => fs.readFileSync(file)))
    const key = yield* generateKeyPair(keyType)
    const pem = yield* privateKeyToPem(key.privateKey)
    yield* io(`writing ${file}`, () => fs.writeFileSync(file, pem, { mode: 0o400, flag: "wx" }))
    report.info.push(`creating new ${keyType} key ${file}`)
    report.written.push(file)
    return key
  })

const appendDb = (db: string, cert: Certificate, name: string): Effect.Effect<void, CertError> =>
  io(`appending to ${db}`, () => fs.appendFileSync(db, `${cert.serialNumber.toLowerCase()} ${name}\n`, { mode: 0o644 }))

const isSelfSigned = (cert: Certificate): boolean => cert.subjectName.toString() === cert.issuerName.toString()

export interface GenerateOptions {
  readonly dir?: string
  readonly days?: number
  readonly server?: string
  readonly serverDays?: number
  readonly keyType: KeyType
  readonly now?: Date
}

/** `generate NAME DB`: `NAME.key`, `cacert.pem` (self-signed CA), `<server>.key`, `<server>.pem`. */
export const generate = (name: string, db: string, options: GenerateOptions): Effect.Effect<Report, CertError | KeyError> =>
  Effect.gen(function* () {
    const report = emptyReport()
    const dir = options.dir ?? process.cwd()
    const now = (options.now ?? new Date()).getTime()
    const notBefore = wholeSeconds(now - BACKDATE_SECONDS * 1000)
    const caKey = yield* ensureKey(dir, name, options.keyType, report)
    const ca = yield* issue({
      subject: name,
      subjectKey: caKey.publicKey,
      issuerName: name,
      signingKey: caKey.privateKey,
      notBefore,
      notAfter: wholeSeconds(now + (options.days ?? 3650) * DAY),
      extensions: caProfile()
    })
    const caFile = path.join(dir, "cacert.pem")
    yield* io(`writing ${caFile}`, () => fs.writeFileSync(caFile, toPem(ca)))
    report.written.push(caFile)
    const serverName = options.server ?? "server"
    const serverKey = yield* ensureKey(dir, serverName, options.keyType, report)
    const ids = yield* keyIdentifiers(serverKey.publicKey, { publicKey: caKey.publicKey, cert: ca })
    const server = yield* issue({
      subject: serverName,
      subjectKey: serverKey.publicKey,
      issuerName: ca.subjectName,
      signingKey: caKey.privateKey,
      notBefore,
      notAfter: wholeSeconds(now + (options.serverDays ?? 365) * DAY),
      extensions: [...serverProfile(), ...ids]
    })
    yield* appendDb(db, server, serverName)
    const serverFile = path.join(dir, `${serverName}.pem`)
    yield* io(`writing ${serverFile}`, () => fs.writeFileSync(serverFile, toPem(server)))
    report.written.push(serverFile)
    return report
  })

export interface SignOptions {
  readonly dir?: string
  readonly days?: number
  readonly now?: Date
}

const fromEither = <A>(e: Either.Either<A, string>): Effect.Effect<A, CertError> =>
  Either.match(e, { onLeft: (message) => Effect.fail(new CertError({ message })), onRight: Effect.succeed })

/** `sign CACERT DB KEY CSR`: writes `<CN>.pem` (the certificate, then CACERT unless it is self-signed). */
export const sign = (
  cacertFile: string,
  db: string,
  keyFile: string,
  csrFile: string,
  options: SignOptions = {}
): Effect.Effect<Report, CertError | KeyError> =>
  Effect.gen(function* () {
    const report = emptyReport()
    const dir = options.dir ?? process.cwd()
    const cacerts = yield* certificatesFromPem(yield* io(`reading ${cacertFile}`, () => fs.readFileSync(cacertFile)))
    const cacert = cacerts[0]
    if (cacert === undefined) return yield* new CertError({ message: `no certificate in ${cacertFile}` })
    const key = yield* privateKeyFromPem(yield* io(`reading ${keyFile}`, () => fs.readFileSync(keyFile)))
    const csr = yield* csrFromPem(yield* io(`reading ${csrFile}`, () => fs.readFileSync(csrFile, "latin1")))
    report.info.push(`signing certificate with subject ${csr.subject}`)
    const name = commonName(csr)
    if (name === undefined) return yield* new CertError({ message: "couldn't find name (no common name in CSR subject)" })
    const requested = csrExtension(csr)
    let extensions: Array<x509.Extension>
    let defaultDays: number
    if (Option.isNone(requested)) {
      report.warnings.push("signing certificate without albatross extension (e.g. host certificate)")
      extensions = serverProfile()
      defaultDays = 365
    } else {
      if (Either.isLeft(requested.value)) return yield* new CertError({ message: requested.value.left.message })
      const { version, command } = requested.value.right
      if (version !== PROTOCOL_VERSION)
        report.warnings.push(`version in request (${version}) different from our version ${PROTOCOL_VERSION}, using ours`)
      const caPolicy = yield* fromEither(policyOf(cacert))
      if (command._tag === "PolicyAdd") {
        yield* fromEither(usable(command.policy))
        if (Option.isSome(caPolicy)) yield* fromEither(isSmaller(caPolicy.value, command.policy))
        extensions = caProfile()
        defaultDays = 365
      } else {
        if ((command._tag === "UnikernelCreate" || command._tag === "UnikernelForceCreate") && Option.isSome(caPolicy))
          yield* fromEither(fineWithPolicy(caPolicy.value, command.config))
        extensions = leafProfile()
        defaultDays = 1
      }
      report.info.push(`signing ${commandText(command)}`)
      const ext = albatrossExtension({ version: PROTOCOL_VERSION, command })
      if (Either.isLeft(ext)) return yield* new CertError({ message: ext.left.message })
      extensions = [ext.right, ...extensions]
    }
    const now = (options.now ?? new Date()).getTime()
    const subjectKey = csr.publicKey
    const subjectCryptoKey = yield* Effect.tryPromise({
      try: () => subjectKey.export(),
      catch: (e) => new CertError({ message: `CSR public key: ${describe(e)}` })
    })
    const ids = yield* keyIdentifiers(subjectCryptoKey, { publicKey: key.publicKey, cert: cacert })
    const cert = yield* issue({
      subject: csr.subjectName,
      subjectKey: subjectCryptoKey,
      issuerName: cacert.subjectName,
      signingKey: key.privateKey,
      notBefore: wholeSeconds(now - BACKDATE_SECONDS * 1000),
      notAfter: wholeSeconds(now + (options.days ?? defaultDays) * DAY),
      extensions: [...extensions, ...ids],
      serial: randomSerial()
    })
    yield* appendDb(db, cert, name)
    const out = path.join(dir, `${name}.pem`)
    const chain = isSelfSigned(cacert) ? [cert] : [cert, cacert]
    yield* io(`writing ${out}`, () => fs.writeFileSync(out, chain.map(toPem).join("")))
    report.written.push(out)
    return report
  })

/** `--csr`: `<CN>.key` (reused or generated) and `<CN>.req`. */
export const writeCsr = (
  commonNameValue: string,
  command: Parameters<typeof albatrossExtension>[0]["command"],
  keyType: KeyType,
  dir: string = process.cwd()
): Effect.Effect<Report, CertError | KeyError> =>
  Effect.gen(function* () {
    const report = emptyReport()
    const key = yield* ensureKey(dir, commonNameValue, keyType, report)
    const csr = yield* createCsr(commonNameValue, { version: PROTOCOL_VERSION, command }, key)
    const file = path.join(dir, `${commonNameValue}.req`)
    yield* io(`writing ${file}`, () => fs.writeFileSync(file, csr.toString("pem") + "\n"))
    report.written.push(file)
    return report
  })

export { cnName }
