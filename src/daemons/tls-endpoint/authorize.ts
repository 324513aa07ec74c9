/**
 * Who is asking, and for what (spec §10.2, §10.3), decided after the TLS handshake.
 *
 * The handshake asks for a client certificate but does not abort on a bad one: we want to
 * tell the client why it is refused (a `Failure` reply) rather than drop it with an alert.
 * Nothing is forwarded unless (1) OpenSSL verified the chain against our single CA during
 * the handshake, which also proves the client holds the leaf's key, and (2) the chain we
 * derive names and policies from verifies on its own (`verifyChain`): Node reports the peer
 * chain by issuer names, which need not be the path OpenSSL checked.
 */
import type * as crypto from "node:crypto"
import type * as tls from "node:tls"
import { Effect, Either } from "effect"
import { certificateFromDer, type Certificate } from "../../tls/certs.js"
import { namesIssuer, verifyChainSync, verifyLeafIssuedBySync } from "../../tls/chain.js"
import { type LeafFields, leafFieldsFromDer, subjectDer } from "../../tls/leaf-fields.js"
import { x509 } from "../../tls/x509.js"
import { type Authority, authorityFromLeaf, MAX_CHAIN_LENGTH } from "../../tls/peer-chain.js"

/**
 * The peer chain as Node links it (leaf first, then issuers by name, as the client sent them),
 * from the native leaf. Node links these `issuerCertificate`s only for the first
 * `getPeerX509Certificate()` of a connection (it consumes OpenSSL's peer chain), so the
 * caller passes that very object.
 */
export const peerChain = (leaf: crypto.X509Certificate): Array<crypto.X509Certificate> => {
  const chain: Array<crypto.X509Certificate> = []
  const seen = new Set<string>()
  // one more than the limit is enough to know the chain is too long
  for (let cert: crypto.X509Certificate | undefined = leaf; cert !== undefined && chain.length <= MAX_CHAIN_LENGTH; cert = cert.issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break
    seen.add(cert.fingerprint256)
    chain.push(cert)
  }
  return chain
}

const PARSED_CACHE_SIZE = 1024
const parsed = new Map<string, Certificate>()
const remember = (fingerprint: string, cert: Certificate) => {
  if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear()
  parsed.set(fingerprint, cert)
}

/** The leaf's issuers as Node links them (`[intermediate_k, …]`, our CA last if sent along), CA certificates parsed once. */
const linkedIssuers = (leaf: crypto.X509Certificate, caDer: Uint8Array): Either.Either<Array<Certificate>, string> => {
  const chain = peerChain(leaf)
  // counted as the client sent it, our CA (when sent along) not included
  const last = chain[chain.length - 1]!
  const sent = chain.length > 1 && last.raw.equals(caDer) ? chain.length - 1 : chain.length
  if (sent >= MAX_CHAIN_LENGTH) return Either.left("certificate chain too long")
  const issuers: Array<Certificate> = []
  for (const native of chain.slice(1)) {
    const fingerprint = native.fingerprint256
    const cached = parsed.get(fingerprint)
    if (cached !== undefined) {
      issuers.push(cached)
      continue
    }
    const cert = certificateFromDer(native.raw)
    if (Either.isLeft(cert)) return Either.left(cert.left.message)
    remember(fingerprint, cert.right)
    issuers.push(cert.right)
  }
  return Either.right(issuers)
}

/** Our CA's DER, subject Name and subject key identifier as encoded, read once per CA certificate. */
interface CaNames {
  readonly der: Buffer
  readonly subject: Uint8Array | undefined
  readonly keyId: Uint8Array | undefined
}
const caNamesCache = new WeakMap<Certificate, CaNames>()
const caNames = (ca: Certificate): CaNames => {
  let names = caNamesCache.get(ca)
  if (names === undefined) {
    const der = Buffer.from(ca.rawData)
    const subject = subjectDer(der)
    const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension)
    names = { der, subject: Either.getOrUndefined(subject), keyId: ski === null ? undefined : Buffer.from(ski.keyId, "hex") }
    caNamesCache.set(ca, names)
  }
  return names
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

/**
 * Whether OpenSSL, having accepted the session (`socket.authorized`), necessarily verified the
 * leaf's signature with our CA's key, so that doing it again can be skipped (~0.15 ms of CPU).
 * Our CA is the only certificate OpenSSL trusts, and it looks for a leaf's issuer among the
 * trusted certificates first (X509_V_FLAG_TRUSTED_FIRST, OpenSSL's default since 1.1.0): when
 * the CA matches the leaf as its issuer (X509_check_issued: the leaf's issuer Name equals the
 * CA's subject, and an authority key identifier, if any, agrees with the CA's subject key
 * identifier), OpenSSL's path is [leaf, CA] whatever else the client sent, and it checked the
 * leaf's signature with the CA's key (else it does not authorise). We take the shortcut only
 * on a byte-identical issuer Name and an authority key identifier that is absent or a bare key
 * identifier equal to the CA's (or the CA has none, which OpenSSL then does not compare);
 * anything else gets the signature checked here. test/tls/endpoint.test.ts ("same name as
 * the root") pins the OpenSSL behaviour this relies on.
 */
const opensslVerifiedLeafSignature = (socket: tls.TLSSocket, fields: LeafFields, ca: Certificate): boolean => {
  if (!socket.authorized || fields.issuer === undefined) return false
  const names = caNames(ca)
  if (names.subject === undefined || !sameBytes(fields.issuer, names.subject)) return false
  const akid = fields.authorityKeyId
  if (akid === undefined) return true
  if (akid.more) return false
  return akid.keyId === undefined || names.keyId === undefined || sameBytes(akid.keyId, names.keyId)
}

/** Number of certificates the client sent, our CA (when sent along, last) not counted, up to one past the limit. */
const sentLength = (leaf: crypto.X509Certificate, caDer: Buffer): number => {
  let n = 1
  let last = leaf
  for (let cert = leaf.issuerCertificate; cert !== undefined && n <= MAX_CHAIN_LENGTH; cert = cert.issuerCertificate) {
    n++
    last = cert
  }
  return n > 1 && last.raw.equals(caDer) ? n - 1 : n
}

/**
 * §10.2-§10.3 for an established TLS session, synchronously (the endpoint's hot path, see
 * direct.ts). Call it once per connection: it takes the peer chain from OpenSSL.
 */
export const authorizeSync = (socket: tls.TLSSocket, ca: Certificate, now: Date = new Date()): Either.Either<Authority, string> => {
  // the leaf as OpenSSL holds it (native, no parsing in JS); its CN and extension read from its DER
  const leaf = socket.getPeerX509Certificate()
  if (leaf === undefined) return Either.left("empty chain")
  const fields = leafFieldsFromDer(leaf.raw)
  if (Either.isLeft(fields)) return Either.left(fields.left)
  const label = fields.right.commonName ?? leaf.subject
  // the common case, a leaf issued by our CA, needs nothing else from the peer chain than its
  // length (and spares Node's getPeerCertificate(true), which builds an object for every certificate)
  let issuers: Array<Certificate>
  if (namesIssuer(leaf, ca)) {
    if (sentLength(leaf, caNames(ca).der) >= MAX_CHAIN_LENGTH) return Either.left("certificate chain too long")
    issuers = [ca]
  } else {
    const linked = linkedIssuers(leaf, caNames(ca).der)
    if (Either.isLeft(linked)) return Either.left(linked.left)
    issuers = linked.right
  }
  const first = issuers[0]
  if (first === undefined)
    return Either.left(`certificate verification failed: certificate ${label} is not signed by a trusted CA (issuer ${leaf.issuer})`)
  const signatureVerified = first === ca && opensslVerifiedLeafSignature(socket, fields.right, ca)
  const leafChecked = verifyLeafIssuedBySync(leaf, label, first, now, signatureVerified)
  if (Either.isLeft(leafChecked)) return Either.left(`certificate verification failed: ${leafChecked.left.message}`)
  const path = verifyChainSync(issuers, [ca], now)
  if (Either.isLeft(path)) return Either.left(`certificate verification failed: ${path.left.message}`)
  // OpenSSL's verdict as well (it also checked that the client holds the leaf's key)
  if (!socket.authorized) {
    const reason: unknown = socket.authorizationError
    return Either.left(`certificate verification failed: ${reason instanceof Error ? reason.message : String(reason)}`)
  }
  // the length was checked above, on the chain as sent; the path holds the CA in addition
  return authorityFromLeaf(fields.right, path.right)
}

/** `authorizeSync` as an Effect. */
export const authorize = (socket: tls.TLSSocket, ca: Certificate, now: Date = new Date()): Effect.Effect<Authority, string> =>
  Effect.suspend(() => authorizeSync(socket, ca, now))
