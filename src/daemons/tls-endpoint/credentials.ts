/**
 * The endpoint's TLS credentials (spec §10.1): the single CA that client chains must lead to,
 * the server certificate (possibly with its chain) and its key.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import { Data, Effect } from "effect"
import { certificatesFromPem, type Certificate } from "../../tls/certs.js"
import { privateKeyFromPem } from "../../tls/keys.js"

export class CredentialsError extends Data.TaggedError("CredentialsError")<{ readonly message: string }> {}

export interface Credentials {
  readonly ca: Certificate
  readonly caPem: string
  readonly certPem: string
  /**
   * What the TLS server presents: CERT, with our CA appended when CERT is a single certificate
   * issued by it. OpenSSL sends that very chain for a lone certificate anyway, but builds it
   * (a full X509_verify_cert against the CA store, signature check included) on every handshake;
   * given explicitly, it is sent as it is (~10% of a handshake's server CPU, BENCHMARKS.md ## tls).
   */
  readonly servedCertPem: string
  readonly keyPem: string
}

const issuedByCa = (certPem: string, caPem: string): boolean => {
  try {
    const cert = new crypto.X509Certificate(certPem)
    const ca = new crypto.X509Certificate(caPem)
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && !cert.checkIssued(cert)
  } catch {
    return false
  }
}

/** CERT as served (see `servedCertPem`). */
export const servedChain = (certPem: string, certCount: number, caPem: string): string =>
  certCount === 1 && issuedByCa(certPem, caPem) ? `${certPem.trimEnd()}\n${caPem.trimStart()}` : certPem

const read = (file: string): Effect.Effect<string, CredentialsError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "latin1"),
    catch: (e) => new CredentialsError({ message: `couldn't read ${file}: ${e instanceof Error ? e.message : String(e)}` })
  })

export const loadCredentials = (caFile: string, certFile: string, keyFile: string): Effect.Effect<Credentials, CredentialsError> =>
  Effect.gen(function* () {
    const caPem = yield* read(caFile)
    const cas = yield* Effect.mapError(certificatesFromPem(caPem), (e) => new CredentialsError({ message: `${caFile}: ${e.message}` }))
    if (cas.length !== 1) return yield* new CredentialsError({ message: "expect single ca as cacert" })
    const certPem = yield* read(certFile)
    const certs = yield* Effect.mapError(certificatesFromPem(certPem), (e) => new CredentialsError({ message: `${certFile}: ${e.message}` }))
    if (certs.length === 0) return yield* new CredentialsError({ message: `${certFile}: no certificate` })
    const keyPem = yield* read(keyFile)
    yield* Effect.mapError(privateKeyFromPem(keyPem), (e) => new CredentialsError({ message: `${keyFile}: ${e.message}` }))
    return { ca: cas[0]!, caPem, certPem, servedCertPem: servedChain(certPem, certs.length, caPem), keyPem }
  })
