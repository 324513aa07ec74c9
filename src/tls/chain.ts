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
import { Data, Effect } from "effect"
import { commonName, type Certificate, sameCertificate } from "./certs.js"
import { x509 } from "./x509.js"

export class ChainError extends Data.TaggedError("ChainError")<{ readonly message: string }> {}

const label = (cert: Certificate): string => commonName(cert) ?? cert.subject

/**
 * The checks run on node:crypto's native X.509 objects (OpenSSL): an order of magnitude
 * cheaper than signature checks through WebCrypto, which matters on the endpoint's hot path.
 * Native objects are cached per certificate object.
 */
const natives = new WeakMap<Certificate, crypto.X509Certificate>()
const native = (cert: Certificate): crypto.X509Certificate => {
  let n = natives.get(cert)
  if (n === undefined) {
    n = new crypto.X509Certificate(Buffer.from(cert.rawData))
    natives.set(cert, n)
  }
  return n
}

const checkValidity = (label: string, notBefore: Date, notAfter: Date, now: Date): Effect.Effect<void, ChainError> => {
  if (now.getTime() < notBefore.getTime())
    return Effect.fail(new ChainError({ message: `certificate ${label} is not yet valid (valid from ${notBefore.toISOString()})` }))
  if (now.getTime() > notAfter.getTime())
    return Effect.fail(new ChainError({ message: `certificate ${label} has expired (valid until ${notAfter.toISOString()})` }))
  return Effect.void
}

const checkTime = (cert: Certificate, now: Date): Effect.Effect<void, ChainError> => checkValidity(label(cert), cert.notBefore, cert.notAfter, now)

const signedBy = (cert: Certificate, issuer: Certificate): Effect.Effect<boolean> =>
  Effect.sync(() => {
    try {
      return native(cert).verify(native(issuer).publicKey)
    } catch {
      return false
    }
  })

const issuedBy = (cert: Certificate, issuer: Certificate): boolean => native(cert).issuer === native(issuer).subject

const checkIssuerUsage = (issuer: Certificate): Effect.Effect<void, ChainError> => {
  if (!native(issuer).ca) return Effect.fail(new ChainError({ message: `certificate ${label(issuer)} is not a CA but issued a certificate` }))
  const ku = issuer.getExtension(x509.KeyUsagesExtension)
  if (ku !== null && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0)
    return Effect.fail(new ChainError({ message: `certificate ${label(issuer)} may not sign certificates (key usage)` }))
  return Effect.void
}

/**
 * Validates `chain` (leaf first) against `anchors` at `now`; returns the path from the leaf to
 * the anchor, anchor included. Certificates after the anchor (a root sent along) are ignored.
 */
export const verifyChain = (
  chain: ReadonlyArray<Certificate>,
  anchors: ReadonlyArray<Certificate>,
  now: Date = new Date()
): Effect.Effect<ReadonlyArray<Certificate>, ChainError> =>
  Effect.gen(function* () {
    if (chain.length === 0) return yield* new ChainError({ message: "empty chain" })
    const path: Array<Certificate> = []
    for (let i = 0; i < chain.length; i++) {
      const cert = chain[i]!
      path.push(cert)
      const anchorItself = anchors.find((a) => sameCertificate(a, cert))
      yield* checkTime(cert, now)
      if (anchorItself !== undefined) return path
      for (const anchor of anchors) {
        if (issuedBy(cert, anchor) && (yield* signedBy(cert, anchor))) {
          yield* checkTime(anchor, now)
          yield* checkIssuerUsage(anchor)
          path.push(anchor)
          return path
        }
      }
      const next = chain[i + 1]
      if (next === undefined)
        return yield* new ChainError({ message: `certificate ${label(cert)} is not signed by a trusted CA (issuer ${cert.issuer})` })
      if (!issuedBy(cert, next))
        return yield* new ChainError({ message: `certificate ${label(cert)} was not issued by the next one in the chain, ${label(next)}` })
      yield* checkIssuerUsage(next)
      if (!(yield* signedBy(cert, next)))
        return yield* new ChainError({ message: `certificate ${label(cert)} has an invalid signature` })
    }
    return yield* new ChainError({ message: "chain does not end at a trusted CA" })
  })

/**
 * The first step of `verifyChain` for a leaf held as a native certificate only (the TLS
 * endpoint's fresh leaves, see leaf-fields.ts): within its validity, issued and signed by
 * `issuer`, which must be allowed to sign certificates. `leafLabel` names the leaf in messages.
 */
export const verifyLeafIssuedBy = (
  leaf: crypto.X509Certificate,
  leafLabel: string,
  issuer: Certificate,
  now: Date = new Date()
): Effect.Effect<void, ChainError> =>
  Effect.gen(function* () {
    yield* checkValidity(leafLabel, new Date(leaf.validFrom), new Date(leaf.validTo), now)
    if (leaf.issuer !== native(issuer).subject)
      return yield* new ChainError({ message: `certificate ${leafLabel} was not issued by the next one in the chain, ${label(issuer)}` })
    yield* checkIssuerUsage(issuer)
    let signed: boolean
    try {
      signed = leaf.verify(native(issuer).publicKey)
    } catch {
      signed = false
    }
    if (!signed) return yield* new ChainError({ message: `certificate ${leafLabel} has an invalid signature` })
  })

/** Whether `leaf` names `issuer` as its issuer (names only; nothing verified). */
export const namesIssuer = (leaf: crypto.X509Certificate, issuer: Certificate): boolean => leaf.issuer === native(issuer).subject
