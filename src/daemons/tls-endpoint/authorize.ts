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
import type * as tls from "node:tls"
import { Effect, Either } from "effect"
import { certificateFromDer, type Certificate } from "../../tls/certs.js"
import { verifyChain } from "../../tls/chain.js"
import { type Authority, authorityFromPath, MAX_CHAIN_LENGTH } from "../../tls/peer-chain.js"

/** The peer chain as Node links it (leaf first, then issuers, ending at our CA when trusted). */
export const peerChainDer = (socket: tls.TLSSocket): Array<{ readonly der: Uint8Array; readonly fingerprint: string }> => {
  const chain: Array<{ readonly der: Uint8Array; readonly fingerprint: string }> = []
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
  const seen = new Set<string>()
  // one more than the limit is enough to know the chain is too long
  while (cert !== undefined && cert.raw !== undefined && chain.length <= MAX_CHAIN_LENGTH) {
    if (seen.has(cert.fingerprint256)) break
    seen.add(cert.fingerprint256)
    chain.push({ der: new Uint8Array(cert.raw), fingerprint: cert.fingerprint256 })
    cert = cert.issuerCertificate
  }
  return chain
}

const PARSED_CACHE_SIZE = 1024
const parsed = new Map<string, Certificate>()
const remember = (fingerprint: string, cert: Certificate) => {
  if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear()
  parsed.set(fingerprint, cert)
}

export const authorize = (socket: tls.TLSSocket, ca: Certificate, now: Date = new Date()): Effect.Effect<Authority, string> =>
  Effect.gen(function* () {
    const ders = peerChainDer(socket)
    if (ders.length === 0) return yield* Effect.fail("empty chain")
    // counted as the client sent it: Node appends our CA from its store when the chain leads there
    const caDer = new Uint8Array(ca.rawData)
    const last = ders[ders.length - 1]!
    const sent = ders.length > 1 && Buffer.from(last.der).equals(Buffer.from(caDer)) ? ders.length - 1 : ders.length
    if (sent >= MAX_CHAIN_LENGTH) return yield* Effect.fail("certificate chain too long")
    const chain: Array<Certificate> = []
    for (let i = 0; i < ders.length; i++) {
      const { der, fingerprint } = ders[i]!
      // CA certificates come again and again: parsed once (leaves are fresh every time)
      const cached = i > 0 ? parsed.get(fingerprint) : undefined
      if (cached !== undefined) {
        chain.push(cached)
        continue
      }
      const cert = certificateFromDer(der)
      if (Either.isLeft(cert)) return yield* Effect.fail(cert.left.message)
      if (i > 0) remember(fingerprint, cert.right)
      chain.push(cert.right)
    }
    const path = yield* Effect.mapError(verifyChain(chain, [ca], now), (e) => `certificate verification failed: ${e.message}`)
    // OpenSSL's verdict as well (it also checked that the client holds the leaf's key)
    if (!socket.authorized) {
      const reason: unknown = socket.authorizationError
      return yield* Effect.fail(`certificate verification failed: ${reason instanceof Error ? reason.message : String(reason)}`)
    }
    // the length was checked above, on the chain as sent; the path holds the CA in addition
    return yield* authorityFromPath(path)
  })
