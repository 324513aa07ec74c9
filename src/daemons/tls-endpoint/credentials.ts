/**
 * The endpoint's TLS credentials (spec §10.1): the single CA that client chains must lead to,
 * the server certificate (possibly with its chain) and its key.
 */
import * as fs from "node:fs"
import { Data, Effect } from "effect"
import { certificatesFromPem, type Certificate } from "../../tls/certs.js"
import { privateKeyFromPem } from "../../tls/keys.js"

export class CredentialsError extends Data.TaggedError("CredentialsError")<{ readonly message: string }> {}

export interface Credentials {
  readonly ca: Certificate
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
}

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
    return { ca: cas[0]!, caPem, certPem, keyPem }
  })
