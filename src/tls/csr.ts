/**
 * Certificate signing requests (spec §11.4 `--csr`): CN plus an extensionRequest attribute
 * holding the albatross extension, signed with the requester's key.
 */
import { Effect, Either, Option } from "effect"
import type { CertExtension } from "../domain/wire.js"
import type { WireError } from "../wire/index.js"
import { albatrossExtension, CertError, cnName, readAlbatrossExtension } from "./certs.js"
import { signingAlgorithm } from "./keys.js"
import { type CryptoKeyPair, x509 } from "./x509.js"

export type Csr = x509.Pkcs10CertificateRequest

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

export const createCsr = (commonName: string, extension: CertExtension | undefined, key: CryptoKeyPair): Effect.Effect<Csr, CertError> =>
  Effect.gen(function* () {
    const extensions: Array<x509.Extension> = []
    if (extension !== undefined) {
      const ext = albatrossExtension(extension)
      if (Either.isLeft(ext)) return yield* new CertError({ message: `encoding the command: ${ext.left.message}` })
      extensions.push(ext.right)
    }
    return yield* Effect.tryPromise({
      try: () =>
        x509.Pkcs10CertificateRequestGenerator.create({
          name: cnName(commonName),
          keys: key,
          signingAlgorithm: signingAlgorithm(key.privateKey),
          ...(extensions.length > 0 ? { extensions } : {})
        }),
      catch: (e) => new CertError({ message: `creating the signing request: ${describe(e)}` })
    })
  })

export const csrToPem = (csr: Csr): string => csr.toString("pem") + "\n"

/** A CSR from PEM, with its self-signature checked. */
export const csrFromPem = (pem: string): Effect.Effect<Csr, CertError> =>
  Effect.gen(function* () {
    const csr = yield* Effect.try({
      try: () => new x509.Pkcs10CertificateRequest(pem),
      catch: (e) => new CertError({ message: `invalid signing request: ${describe(e)}` })
    })
    const ok = yield* Effect.promise(() => csr.verify().catch(() => false))
    if (!ok) return yield* new CertError({ message: "signing request has an invalid signature" })
    return csr
  })

/** The albatross extension of a CSR's extensionRequest. */
export const csrExtension = (csr: Csr): Option.Option<Either.Either<CertExtension, WireError>> =>
  readAlbatrossExtension(csr.extensions)
