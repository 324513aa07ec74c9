/**
 * X.509 certificates as albatross uses them (spec §11.3, §11.4): reading PEM bundles, the
 * albatross extension (OID 1.3.6.1.4.1.49836.42, non-critical, value = DER of
 * `SEQUENCE { version, command }` from our wire codec), the three extension profiles (leaf,
 * CA, server) and issuing a certificate.
 */
import * as crypto from "node:crypto"
import { Data, Effect, Either, Option } from "effect"
import type { CertExtension } from "../domain/wire.js"
import { CERT_EXTENSION_OID, decodeCertExtensionSync, encodeCertExtensionSync, type WireError } from "../wire/index.js"
import { signingAlgorithm } from "./keys.js"
import { type CryptoKey, x509 } from "./x509.js"

export type Certificate = x509.X509Certificate

export class CertError extends Data.TaggedError("CertError")<{ readonly message: string }> {}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Every certificate of a PEM file, in file order. */
export const certificatesFromPem = (pem: string | Uint8Array): Effect.Effect<ReadonlyArray<Certificate>, CertError> =>
  Effect.try({
    try: () => {
      const text = typeof pem === "string" ? pem : Buffer.from(pem).toString("latin1")
      const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
      return blocks.map((block) => new x509.X509Certificate(block))
    },
    catch: (e) => new CertError({ message: `invalid certificate: ${describe(e)}` })
  })

export const certificateFromDer = (der: Uint8Array): Either.Either<Certificate, CertError> =>
  Either.try({
    try: () => new x509.X509Certificate(der),
    catch: (e) => new CertError({ message: `invalid certificate: ${describe(e)}` })
  })

export const toPem = (cert: Certificate): string => cert.toString("pem") + "\n"

export const derOf = (cert: Certificate): Uint8Array => new Uint8Array(cert.rawData)

export const sameCertificate = (a: Certificate, b: Certificate): boolean => a === b || Buffer.from(a.rawData).equals(Buffer.from(b.rawData))

/** The subject's first common name, if any. */
export const commonName = (cert: { readonly subjectName: x509.Name }): string | undefined => cert.subjectName.getField("CN")[0]

/** The X.509 extension carrying an albatross command. */
export const albatrossExtension = (value: CertExtension): Either.Either<x509.Extension, WireError> =>
  Either.map(encodeCertExtensionSync(value), (der) => new x509.Extension(CERT_EXTENSION_OID, false, der))

/** The raw value of the albatross extension of a certificate or CSR, if present. */
export const albatrossExtensionValue = (extensions: ReadonlyArray<x509.Extension>): Option.Option<Uint8Array> => {
  const ext = extensions.find((e) => e.type === CERT_EXTENSION_OID)
  return ext === undefined ? Option.none() : Option.some(new Uint8Array(ext.value))
}

/** Decodes the albatross extension: `None` when absent. */
export const readAlbatrossExtension = (
  extensions: ReadonlyArray<x509.Extension>
): Option.Option<Either.Either<CertExtension, WireError>> => Option.map(albatrossExtensionValue(extensions), decodeCertExtensionSync)

/**
 * The albatross extension of a certificate, read from the already parsed ASN.1 structure:
 * `cert.extensions` would re-encode and re-parse every extension into its class, a cost the
 * endpoint would pay for every leaf.
 */
export const certificateAlbatrossExtension = (cert: Certificate): Option.Option<Either.Either<CertExtension, WireError>> => {
  // the parsed structure is a protected member of the library's class: use it when it has the
  // shape of @peculiar/asn1-x509's Certificate, else the public (slower) accessor
  const parsed = (cert as unknown as { asn?: ParsedCertificate }).asn
  const list = parsed?.tbsCertificate?.extensions
  if (!Array.isArray(list)) return readAlbatrossExtension(cert.extensions)
  const ext = list.find((e) => e.extnID === CERT_EXTENSION_OID)
  if (ext === undefined) return Option.none()
  const value = ext.extnValue?.buffer
  return value instanceof ArrayBuffer ? Option.some(decodeCertExtensionSync(new Uint8Array(value))) : readAlbatrossExtension(cert.extensions)
}

interface ParsedCertificate {
  readonly tbsCertificate?: { readonly extensions?: ReadonlyArray<{ readonly extnID: string; readonly extnValue?: { readonly buffer?: unknown } }> }
}

export const isCa = (cert: Certificate): boolean => cert.getExtension(x509.BasicConstraintsExtension)?.ca === true

const Usage = x509.KeyUsageFlags

/** Extensions of a client leaf (spec §11.3 step 4), without the key identifiers. */
export const leafProfile = (): Array<x509.Extension> => [
  new x509.KeyUsagesExtension(Usage.digitalSignature | Usage.keyEncipherment, true),
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], true)
]

/** Extensions of a server certificate (`generate`, spec §11.4). */
export const serverProfile = (): Array<x509.Extension> => [
  new x509.KeyUsagesExtension(Usage.digitalSignature | Usage.keyEncipherment, true),
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], true)
]

/** Extensions of a CA certificate: CA=true without path length. */
export const caProfile = (): Array<x509.Extension> => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(Usage.keyCertSign | Usage.cRLSign | Usage.digitalSignature | Usage.nonRepudiation, true)
]

/** Subject and authority key identifiers; the authority's is copied from the issuer when it has one. */
export const keyIdentifiers = (
  subjectKey: CryptoKey,
  issuer: { readonly publicKey: CryptoKey; readonly cert: Certificate | undefined }
): Effect.Effect<Array<x509.Extension>, CertError> =>
  Effect.tryPromise({
    try: async () => {
      const ski = await x509.SubjectKeyIdentifierExtension.create(subjectKey)
      const issuerSki = issuer.cert?.getExtension(x509.SubjectKeyIdentifierExtension)
      const aki =
        issuerSki !== undefined && issuerSki !== null
          ? new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId)
          : await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey)
      return [ski, aki]
    },
    catch: (e) => new CertError({ message: `key identifiers: ${describe(e)}` })
  })

/** A fresh positive serial number (hex, 64 bits, first bit clear). */
export const randomSerial = (): string => {
  const bytes = crypto.randomBytes(8)
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return bytes.toString("hex")
}

/** X.509 times have whole seconds. */
export const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000)

export interface IssueParams {
  /** The subject: a CN, or a whole name (copied from a CSR). */
  readonly subject: string | x509.Name
  readonly subjectKey: CryptoKey
  /** The issuer's subject name (for a self-signed certificate, the subject CN again). */
  readonly issuerName: x509.Name | string
  readonly signingKey: CryptoKey
  readonly notBefore: Date
  readonly notAfter: Date
  readonly extensions: ReadonlyArray<x509.Extension>
  readonly serial?: string
}

/** The subject DN `CN=<cn>` as UTF8String, as the reference writes it. */
export const cnName = (cn: string): x509.Name => new x509.Name([{ CN: [{ utf8String: cn }] }])

export const issue = (params: IssueParams): Effect.Effect<Certificate, CertError> =>
  Effect.tryPromise({
    try: () =>
      x509.X509CertificateGenerator.create({
        serialNumber: params.serial ?? randomSerial(),
        subject: typeof params.subject === "string" ? cnName(params.subject) : params.subject,
        issuer: typeof params.issuerName === "string" ? cnName(params.issuerName) : params.issuerName,
        notBefore: params.notBefore,
        notAfter: params.notAfter,
        publicKey: params.subjectKey,
        signingKey: params.signingKey,
        signingAlgorithm: signingAlgorithm(params.signingKey),
        extensions: [...params.extensions]
      }),
    catch: (e) => new CertError({ message: `signing the certificate: ${describe(e)}` })
  })
