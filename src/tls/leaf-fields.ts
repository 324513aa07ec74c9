/**
 * The few fields of a client leaf the TLS endpoint needs (subject CN and the albatross
 * extension), read straight from its DER with our DER reader.
 *
 * Why not @peculiar/x509 here: every request brings a fresh leaf, and building the library's
 * object (asn1js underneath, the whole certificate into classes) costs ~0.8 ms of CPU per
 * request, more than the rest of our request handling. The leaf's signature, validity and
 * issuer are checked on node:crypto's native X509Certificate (OpenSSL); this reader only
 * walks the structure to the subject and the extensions. CA and intermediate certificates
 * stay @peculiar/x509 objects (parsed once, cached by fingerprint), as does all the tooling
 * that makes certificates.
 */
import { Either, Option } from "effect"
import type { CertExtension } from "../domain/wire.js"
import { Fault, Reader } from "../wire/der/index.js"
import { CERT_EXTENSION_OID, decodeCertExtensionSync, type WireError } from "../wire/index.js"

export interface LeafFields {
  /** The issuer Name as encoded (DER, tag and length included). */
  readonly issuer?: Uint8Array
  /** The subject's first common name, if any. */
  readonly commonName: string | undefined
  /** The decoded albatross extension; `None` when absent. */
  readonly albatrossExtension: Option.Option<Either.Either<CertExtension, WireError>>
  /**
   * The authority key identifier extension, when present (only the endpoint's shortcut in
   * authorize.ts looks at it): its keyIdentifier, and whether it names the issuer otherwise
   * too (authorityCertIssuer or serial).
   */
  readonly authorityKeyId?: { readonly keyId: Uint8Array | undefined; readonly more: boolean }
}

const SEQUENCE = 0x30
const SET = 0x31
const OID = 0x06
const BOOLEAN = 0x01
const OCTET_STRING = 0x04
const EXPLICIT_VERSION = 0xa0
const EXTENSIONS = 0xa3

/** Content octets of an OBJECT IDENTIFIER in dotted form (base-128 arcs, the first two joined). */
const oidContent = (dotted: string): Uint8Array => {
  const arcs = dotted.split(".").map(Number)
  const out: Array<number> = []
  const push = (n: number) => {
    const bytes = [n & 0x7f]
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80)
    out.push(...bytes)
  }
  push(arcs[0]! * 40 + arcs[1]!)
  for (const arc of arcs.slice(2)) push(arc)
  return Uint8Array.from(out)
}

const CN_OID = oidContent("2.5.4.3")
const ALBATROSS_OID = oidContent(CERT_EXTENSION_OID)
const AKID_OID = oidContent("2.5.29.35")
const KEY_IDENTIFIER = 0x80

const equalAt = (buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean => {
  if (end - start !== want.length) return false
  for (let i = 0; i < want.length; i++) if (buf[start + i] !== want[i]) return false
  return true
}

/** Skips the next element, whatever its tag (low tag numbers only, as in certificates). */
const skip = (r: Reader, what: string): void => {
  if (r.pos >= r.end) throw new Fault(`${what}: missing`)
  r.pos = r.contentEnd(what)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
const utf16be = new TextDecoder("utf-16be", { fatal: true })

/** A directory string's text: UTF8String, PrintableString, IA5String, TeletexString or BMPString. */
const directoryString = (tag: number, content: Uint8Array): string => {
  switch (tag) {
    case 0x0c:
      return utf8.decode(content)
    case 0x13:
    case 0x16:
    case 0x14:
      return Buffer.from(content).toString("latin1")
    case 0x1e:
      return utf16be.decode(content)
    default:
      throw new Fault(`common name: unsupported string type 0x${tag.toString(16)}`)
  }
}

/** The first CN of a Name (`SEQUENCE OF SET OF SEQUENCE { type, value }`); `r` is at the Name. */
const firstCommonName = (r: Reader): string | undefined => {
  const nameEnd = r.enter(SEQUENCE, "subject")
  let found: string | undefined
  while (r.pos < nameEnd && found === undefined) {
    r.end = nameEnd
    const setEnd = r.enter(SET, "subject RDN")
    while (r.pos < setEnd && found === undefined) {
      r.end = setEnd
      const atvEnd = r.enter(SEQUENCE, "subject attribute")
      r.end = atvEnd
      const oidEnd = r.enter(OID, "attribute type")
      const isCn = equalAt(r.buf, r.pos, oidEnd, CN_OID)
      r.pos = oidEnd
      if (isCn) {
        if (r.pos >= atvEnd) throw new Fault("common name: missing value")
        const tag = r.buf[r.pos]!
        const valueEnd = r.contentEnd("common name")
        found = directoryString(tag, r.buf.subarray(r.pos, valueEnd))
      }
      r.pos = atvEnd
    }
    r.pos = setEnd
  }
  r.pos = nameEnd
  return found
}

/** `AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, authorityCertIssuer [1] OPTIONAL, authorityCertSerialNumber [2] OPTIONAL }` */
const authorityKeyId = (value: Uint8Array): { keyId: Uint8Array | undefined; more: boolean } => {
  const r = new Reader(value)
  const end = r.enter(SEQUENCE, "authority key identifier")
  r.end = end
  let keyId: Uint8Array | undefined
  let more = false
  while (r.pos < end) {
    const tag = r.peek()
    const start = r.pos
    skip(r, "authority key identifier field")
    if (tag === KEY_IDENTIFIER && keyId === undefined) {
      const c = new Reader(value, start, r.pos)
      const contentEnd = c.contentEnd("key identifier")
      keyId = value.subarray(c.pos, contentEnd)
    } else more = true
  }
  return { keyId, more }
}

interface Extensions {
  albatross: Uint8Array | undefined
  authorityKeyId: { keyId: Uint8Array | undefined; more: boolean } | undefined
}

/** The values of the first albatross and authority key identifier extensions in `[3] Extensions`; `r` is at the `[3]`. */
const extensionValues = (r: Reader): Extensions => {
  const found: Extensions = { albatross: undefined, authorityKeyId: undefined }
  const outerEnd = r.enter(EXTENSIONS, "extensions")
  r.end = outerEnd
  const listEnd = r.enter(SEQUENCE, "extensions")
  while (r.pos < listEnd) {
    r.end = listEnd
    const extEnd = r.enter(SEQUENCE, "extension")
    r.end = extEnd
    const oidEnd = r.enter(OID, "extension id")
    const ours = equalAt(r.buf, r.pos, oidEnd, ALBATROSS_OID)
    const akid = !ours && equalAt(r.buf, r.pos, oidEnd, AKID_OID)
    r.pos = oidEnd
    if (r.peek() === BOOLEAN) skip(r, "critical")
    const valueEnd = r.enter(OCTET_STRING, "extension value")
    if (ours && found.albatross === undefined) found.albatross = r.buf.subarray(r.pos, valueEnd)
    if (akid && found.authorityKeyId === undefined) found.authorityKeyId = authorityKeyId(r.buf.subarray(r.pos, valueEnd))
    r.pos = extEnd
  }
  return found
}

/**
 * Runs `read` on a DER certificate with `r` at the issuer of its tbsCertificate (`tbsEnd` where
 * that ends); a malformed certificate is an error text, never an exception.
 */
const readTbs = <A>(der: Uint8Array, read: (r: Reader, tbsEnd: number) => A): Either.Either<A, string> => {
  try {
    const r = new Reader(der)
    r.end = r.enter(SEQUENCE, "certificate")
    const tbsEnd = r.enter(SEQUENCE, "tbsCertificate")
    r.end = tbsEnd
    if (r.peek() === EXPLICIT_VERSION) skip(r, "version")
    skip(r, "serial number")
    skip(r, "signature algorithm")
    return Either.right(read(r, tbsEnd))
  } catch (e) {
    if (e instanceof Fault) return Either.left(`invalid certificate: ${e.reason}`)
    if (e instanceof TypeError) return Either.left(`invalid certificate: ${e.message}`)
    throw e
  }
}

/** The subject Name of a DER certificate as encoded (tag and length included). */
export const subjectDer = (der: Uint8Array): Either.Either<Uint8Array, string> =>
  readTbs(der, (r) => {
    skip(r, "issuer")
    skip(r, "validity")
    const start = r.pos
    skip(r, "subject")
    return der.subarray(start, r.pos)
  })

/** Reads the issuer, the subject CN, the albatross and authority key identifier extensions of a DER certificate. */
export const leafFieldsFromDer = (der: Uint8Array): Either.Either<LeafFields, string> =>
  readTbs(der, (r, tbsEnd): LeafFields => {
    const issuerStart = r.pos
    skip(r, "issuer")
    const issuer = der.subarray(issuerStart, r.pos)
    skip(r, "validity")
    const commonName = firstCommonName(r)
    r.end = tbsEnd
    skip(r, "subject public key info")
    // issuerUniqueID [1] and subjectUniqueID [2], then the extensions [3]
    while (r.pos < tbsEnd && r.peek() !== EXTENSIONS) skip(r, "unique identifier")
    const found = r.pos < tbsEnd ? extensionValues(r) : undefined
    const value = found?.albatross
    return {
      issuer,
      commonName,
      albatrossExtension: value === undefined ? Option.none() : Option.some(decodeCertExtensionSync(value)),
      ...(found?.authorityKeyId === undefined ? {} : { authorityKeyId: found.authorityKeyId })
    }
  })
