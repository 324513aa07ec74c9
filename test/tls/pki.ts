/**
 * Test PKI: a root CA, intermediate CAs carrying policies and client leaves carrying
 * commands, all made on the fly with the production code of src/tls (plus a few deliberately
 * broken certificates for the attack tests).
 */
import { Effect, Either } from "effect"
import type { Command } from "../../src/domain/command.js"
import type { Policy } from "../../src/domain/policy.js"
import {
  albatrossExtension,
  caProfile,
  type Certificate,
  issue,
  keyIdentifiers,
  leafProfile,
  serverProfile,
  toPem,
  wholeSeconds
} from "../../src/tls/certs.js"
import { generateKeyPair, type KeyType, privateKeyToPem } from "../../src/tls/keys.js"
import { type CryptoKeyPair, x509 } from "../../src/tls/x509.js"

export interface Identity {
  readonly cert: Certificate
  readonly key: CryptoKeyPair
}

const DAY = 86_400_000

export const policy = (unikernels: number, memory: number, cpuids: Array<number> = [0, 1], bridges: Array<string> = ["service"], block: number | null = 100): Policy => ({
  unikernels: BigInt(unikernels),
  cpuids,
  memory,
  block,
  bridges
})

const ext = (command: Command): x509.Extension => {
  const e = albatrossExtension({ version: 5, command })
  if (Either.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

export interface MakeOptions {
  readonly keyType?: KeyType
  readonly notBefore?: Date
  readonly notAfter?: Date
  /** Replace the profile (e.g. an intermediate without the CA flag). */
  readonly profile?: Array<x509.Extension>
  /** Raw extensions added as they are (garbage albatross extension). */
  readonly extra?: Array<x509.Extension>
  /** The authority key identifier: left out ("none"), or this key identifier (hex) instead of the issuer's. */
  readonly authorityKeyId?: "none" | string
}

export const makeRoot = (name = "root", options: MakeOptions = {}): Promise<Identity> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const key = yield* generateKeyPair(options.keyType ?? "ed25519")
      const now = Date.now()
      const cert = yield* issue({
        subject: name,
        subjectKey: key.publicKey,
        issuerName: name,
        signingKey: key.privateKey,
        notBefore: options.notBefore ?? wholeSeconds(now - 60_000),
        notAfter: options.notAfter ?? wholeSeconds(now + 3650 * DAY),
        extensions: options.profile ?? caProfile()
      })
      return { cert, key }
    })
  )

const signed = (
  issuer: Identity,
  cn: string | undefined,
  extensions: Array<x509.Extension>,
  options: MakeOptions
): Promise<Identity> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const key = yield* generateKeyPair(options.keyType ?? "ed25519")
      const now = Date.now()
      const [ski, aki] = yield* keyIdentifiers(key.publicKey, { publicKey: issuer.key.publicKey, cert: issuer.cert })
      const akid = options.authorityKeyId
      const ids = [ski!, ...(akid === "none" ? [] : [akid === undefined ? aki! : new x509.AuthorityKeyIdentifierExtension(akid)])]
      const cert = yield* issue({
        subject: cn === undefined ? new x509.Name([]) : cn,
        subjectKey: key.publicKey,
        issuerName: issuer.cert.subjectName,
        signingKey: issuer.key.privateKey,
        notBefore: options.notBefore ?? wholeSeconds(now - 10_000),
        notAfter: options.notAfter ?? wholeSeconds(now + 365 * DAY),
        extensions: [...extensions, ...(options.extra ?? []), ...ids]
      })
      return { cert, key }
    })
  )

/** An intermediate CA delegating `p` under the label `cn`. */
export const makeIntermediate = (issuer: Identity, cn: string | undefined, p: Policy | undefined, options: MakeOptions = {}) =>
  signed(issuer, cn, [...(p === undefined ? [] : [ext({ _tag: "PolicyAdd", policy: p })]), ...(options.profile ?? caProfile())], options)

/** A client leaf carrying `command` (or no extension when `command` is undefined). */
export const makeLeaf = (issuer: Identity, cn: string | undefined, command: Command | undefined, options: MakeOptions = {}) =>
  signed(issuer, cn, [...(command === undefined ? [] : [ext(command)]), ...(options.profile ?? leafProfile())], options)

export const makeServer = (issuer: Identity, cn = "server", options: MakeOptions = {}) => signed(issuer, cn, serverProfile(), options)

export const pemChain = (certs: ReadonlyArray<Certificate>): string => certs.map(toPem).join("")

export const keyPem = (id: Identity): Promise<string> => Effect.runPromise(privateKeyToPem(id.key.privateKey))
