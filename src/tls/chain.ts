/**
 * Path validation of a certificate chain given leaf first (RFC 5280, the parts albatross
 * relies on): every certificate within its validity, each one signed by the next, every
 * issuer a CA, the path ending at (or signed by) a trust anchor.
 *
 * Used by the client before connecting (spec §11.3 step 5) and by the TLS endpoint on the
 * chain it derives its authority from: the endpoint checks the very certificates whose
 * policies and names it uses, whatever path the TLS library chose during the handshake.
 */
import * as crypto from "node:crypto"
import { Data, Effect, Either } from "effect"
import { commonName, type Certificate, sameCertificate } from "./certs.js"
import { x509 } from "./x509.js"

export class ChainError extends Data.TaggedError("ChainError")<{ readonly message: string }> {}

const label = (cert: Certificate): string => commonName(cert) ?? cert.subject

/**
 * The checks run on node:crypto's native X.509 objects (OpenSSL): an order of magnitude
 * cheaper than signature checks through WebCrypto, which matters on the endpoint's hot path.
 * Native objects, their public keys and the issuer checks are cached per certificate object
 * (node:crypto builds a new key object on every `publicKey` read).
 */
interface NativeCert {
  readonly x509: crypto.X509Certificate
  readonly publicKey: crypto.KeyObject
  /** `checkIssuerUsage`'s verdict (CA flag, key usage): properties of the certificate alone. */
  issuerUsage?: ChainError | null
}
const natives = new WeakMap<Certificate, NativeCert>()
const native = (cert: Certificate): NativeCert => {
  let n = natives.get(cert)
  if (n === undefined) {
    const x = new crypto.X509Certificate(Buffer.from(cert.rawData))
    n = { x509: x, publicKey: x.publicKey }
    natives.set(cert, n)
  }
  return n
}

const ok: Either.Either<void, ChainError> = Either.right(undefined)

const checkValidity = (label: string, notBefore: Date, notAfter: Date, now: Date): Either.Either<void, ChainError> => {
  if (now.getTime() < notBefore.getTime())
    return Either.left(new ChainError({ message: `certificate ${label} is not yet valid (valid from ${notBefore.toISOString()})` }))
  if (now.getTime() > notAfter.getTime())
    return Either.left(new ChainError({ message: `certificate ${label} has expired (valid until ${notAfter.toISOString()})` }))
  return ok
}

const checkTime = (cert: Certificate, now: Date): Either.Either<void, ChainError> => checkValidity(label(cert), cert.notBefore, cert.notAfter, now)

const verifiedBy = (cert: crypto.X509Certificate, issuer: Certificate): boolean => {
  try {
    return cert.verify(native(issuer).publicKey)
  } catch {
    return false
  }
}

const issuedBy = (cert: Certificate, issuer: Certificate): boolean => native(cert).x509.issuer === native(issuer).x509.subject

const checkIssuerUsage = (issuer: Certificate): Either.Either<void, ChainError> => {
  const n = native(issuer)
  if (n.issuerUsage === undefined) {
    const ku = issuer.getExtension(x509.KeyUsagesExtension)
    n.issuerUsage = !n.x509.ca
      ? new ChainError({ message: `certificate ${label(issuer)} is not a CA but issued a certificate` })
      : ku !== null && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0
        ? new ChainError({ message: `certificate ${label(issuer)} may not sign certificates (key usage)` })
        : null
  }
  return n.issuerUsage === null ? ok : Either.left(n.issuerUsage)
}

/**
 * Validates `chain` (leaf first) against `anchors` at `now`; returns the path from the leaf to
 * the anchor, anchor included. Certificates after the anchor (a root sent along) are ignored.
 */
export const verifyChainSync = (
  chain: ReadonlyArray<Certificate>,
  anchors: ReadonlyArray<Certificate>,
  now: Date = new Date()
): Either.Either<ReadonlyArray<Certificate>, ChainError> => {
  if (chain.length === 0) return Either.left(new ChainError({ message: "empty chain" }))
  const path: Array<Certificate> = []
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!
    path.push(cert)
    const anchorItself = anchors.find((a) => sameCertificate(a, cert))
    const time = checkTime(cert, now)
    if (Either.isLeft(time)) return Either.left(time.left)
    if (anchorItself !== undefined) return Either.right(path)
    for (const anchor of anchors) {
      if (issuedBy(cert, anchor) && verifiedBy(native(cert).x509, anchor)) {
        const checked = Either.flatMap(checkTime(anchor, now), () => checkIssuerUsage(anchor))
        if (Either.isLeft(checked)) return Either.left(checked.left)
        path.push(anchor)
        return Either.right(path)
      }
    }
    const next = chain[i + 1]
    if (next === undefined)
      return Either.left(new ChainError({ message: `certificate ${label(cert)} is not signed by a trusted CA (issuer ${cert.issuer})` }))
    if (!issuedBy(cert, next))
      return Either.left(new ChainError({ message: `certificate ${label(cert)} was not issued by the next one in the chain, ${label(next)}` }))
    const usage = checkIssuerUsage(next)
    if (Either.isLeft(usage)) return Either.left(usage.left)
    if (!verifiedBy(native(cert).x509, next)) return Either.left(new ChainError({ message: `certificate ${label(cert)} has an invalid signature` }))
  }
  return Either.left(new ChainError({ message: "chain does not end at a trusted CA" }))
}

/** `verifyChainSync` as an Effect. */
export const verifyChain = (
  chain: ReadonlyArray<Certificate>,
  anchors: ReadonlyArray<Certificate>,
  now: Date = new Date()
): Effect.Effect<ReadonlyArray<Certificate>, ChainError> => Effect.suspend(() => verifyChainSync(chain, anchors, now))

/**
 * The first step of `verifyChain` for a leaf held as a native certificate only (the TLS
 * endpoint's fresh leaves, see leaf-fields.ts): within its validity, issued and signed by
 * `issuer`, which must be allowed to sign certificates. `leafLabel` names the leaf in messages.
 * `signatureVerified`: the caller knows the signature was verified with `issuer`'s key already
 * (the endpoint, when OpenSSL's verified path is necessarily `[leaf, issuer]`, see authorize.ts).
 */
export const verifyLeafIssuedBySync = (
  leaf: crypto.X509Certificate,
  leafLabel: string,
  issuer: Certificate,
  now: Date = new Date(),
  signatureVerified = false
): Either.Either<void, ChainError> => {
  const time = checkValidity(leafLabel, new Date(leaf.validFrom), new Date(leaf.validTo), now)
  if (Either.isLeft(time)) return time
  if (leaf.issuer !== native(issuer).x509.subject)
    return Either.left(new ChainError({ message: `certificate ${leafLabel} was not issued by the next one in the chain, ${label(issuer)}` }))
  const usage = checkIssuerUsage(issuer)
  if (Either.isLeft(usage)) return usage
  if (!signatureVerified && !verifiedBy(leaf, issuer))
    return Either.left(new ChainError({ message: `certificate ${leafLabel} has an invalid signature` }))
  return ok
}

/** `verifyLeafIssuedBySync` as an Effect. */
export const verifyLeafIssuedBy = (
  leaf: crypto.X509Certificate,
  leafLabel: string,
  issuer: Certificate,
  now: Date = new Date()
): Effect.Effect<void, ChainError> => Effect.suspend(() => verifyLeafIssuedBySync(leaf, leafLabel, issuer, now))

/** Whether `leaf` names `issuer` as its issuer (names only; nothing verified). */
export const namesIssuer = (leaf: crypto.X509Certificate, issuer: Certificate): boolean => leaf.issuer === native(issuer).x509.subject
