/**
 * The leaf certificate the client makes for every remote command (spec §11.3): the command
 * travels in the certificate, the leaf is signed by the operator's CA (or sub-CA) key and
 * lives five minutes.
 */
import { Effect, Either, Option } from "effect"
import type { Command } from "../domain/command.js"
import type { Name } from "../domain/name.js"
import { pathToString } from "../domain/name.js"
import type { Policy } from "../domain/policy.js"
import { isSmaller } from "../domain/policy-rules.js"
import { fineWithPolicy } from "../domain/unikernel-rules.js"
import { PROTOCOL_VERSION } from "../domain/wire.js"
import {
  albatrossExtension,
  CertError,
  type Certificate,
  derOf,
  issue,
  keyIdentifiers,
  leafProfile,
  readAlbatrossExtension,
  wholeSeconds
} from "./certs.js"
import { generateKeyPair, type KeyError, type KeyType, spkiOf } from "./keys.js"
import type { CryptoKey, CryptoKeyPair } from "./x509.js"

/** Largest certificate a TLS handshake message can carry. */
export const MAX_CERTIFICATE_SIZE = 1 << 24

export const LEAF_LIFETIME_SECONDS = 300
/** Tolerance for clocks that are not perfectly synchronised. */
export const BACKDATE_SECONDS = 10

const isPolicyCommand = (command: Command): boolean =>
  command._tag === "PolicyInfo" || command._tag === "PolicyAdd" || command._tag === "PolicyRemove"

/**
 * The leaf's CN (spec §11.3 step 2): the path for policy commands, else the label of a
 * root-level name (`.` for the root path-name). For the root path we write `.` rather than
 * the reference's empty string: both endpoints read `.` as "the delegation's own path".
 */
export const leafCommonName = (name: Name, command: Command): Either.Either<string, string> => {
  if (isPolicyCommand(command)) {
    const path = name.key()
    return Either.right(path.length === 0 ? "." : pathToString(path))
  }
  if (name.path.length > 0) return Either.left("non-empty path")
  return Either.right(name.label ?? ".")
}

/** The policy an (intermediate) CA certificate delegates, if it carries one. */
export const policyOf = (cert: Certificate): Either.Either<Option.Option<Policy>, string> => {
  const ext = readAlbatrossExtension(cert.extensions)
  if (Option.isNone(ext)) return Either.right(Option.none())
  if (Either.isLeft(ext.value)) return Either.left("couldn't parse albatross extension in cert")
  const command = ext.value.right.command
  return Either.right(command._tag === "PolicyAdd" ? Option.some(command.policy) : Option.none())
}

/** Step 3: what the CA's own policy lets through, checked before anything is signed. */
export const preCheck = (caCert: Certificate, command: Command): Either.Either<void, string> =>
  Either.flatMap(policyOf(caCert), (policy) => {
    if (Option.isNone(policy)) return Either.void
    switch (command._tag) {
      case "UnikernelCreate":
      case "UnikernelForceCreate":
        return fineWithPolicy(policy.value, command.config)
      case "PolicyAdd":
        return isSmaller(policy.value, command.policy)
      default:
        return Either.void
    }
  })

/** Step 1: the CA key must belong to the CA certificate. */
export const checkKeyMatches = (cert: Certificate, key: CryptoKeyPair): Effect.Effect<void, CertError | KeyError> =>
  Effect.gen(function* () {
    const certKey = new Uint8Array(cert.publicKey.rawData)
    const keyKey = yield* spkiOf(key.publicKey)
    if (!Buffer.from(certKey).equals(Buffer.from(keyKey)))
      return yield* new CertError({ message: "Public key of certificate doesn't match private key" })
  })

export interface LeafParams {
  readonly caCert: Certificate
  readonly caKey: CryptoKeyPair
  readonly keyType: KeyType
  readonly commonName: string
  readonly command: Command
  readonly now?: Date
  /** Validity in seconds (default 300). */
  readonly lifetime?: number
}

export interface Leaf {
  readonly cert: Certificate
  readonly key: CryptoKeyPair
}

/** Step 4: a fresh key and the leaf certificate for it, signed by the CA key. */
export const makeLeaf = (params: LeafParams): Effect.Effect<Leaf, CertError | KeyError> =>
  Effect.gen(function* () {
    const now = (params.now ?? new Date()).getTime()
    const key = yield* generateKeyPair(params.keyType)
    const ext = albatrossExtension({ version: PROTOCOL_VERSION, command: params.command })
    if (Either.isLeft(ext)) return yield* new CertError({ message: `encoding the command: ${ext.left.message}` })
    const ids = yield* keyIdentifiers(key.publicKey, { publicKey: params.caKey.publicKey, cert: params.caCert })
    const cert = yield* issue({
      subject: params.commonName,
      subjectKey: key.publicKey,
      issuerName: params.caCert.subjectName,
      signingKey: params.caKey.privateKey,
      notBefore: wholeSeconds(now - BACKDATE_SECONDS * 1000),
      notAfter: wholeSeconds(now + (params.lifetime ?? LEAF_LIFETIME_SECONDS) * 1000),
      extensions: [ext.right, ...leafProfile(), ...ids]
    })
    if (derOf(cert).length > MAX_CERTIFICATE_SIZE) return yield* new CertError({ message: "certificate too big for TLS" })
    return { cert, key }
  })

export type { CryptoKey }
