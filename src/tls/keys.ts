/**
 * Key pairs of the six types the client offers (`--key-type`, spec §11.1), their signature
 * algorithms, and private keys read from / written to PEM files.
 *
 * Keys are WebCrypto keys (what @peculiar/x509 signs with). A key file may hold PKCS#8,
 * PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`): node:crypto reads all of them; we
 * always write PKCS#8.
 */
import * as crypto from "node:crypto"
import { Data, Effect } from "effect"
import { type CryptoKey, type CryptoKeyPair, type SigningAlgorithm, subtle } from "./x509.js"

import type { KeyType } from "./key-types.js"

export { DEFAULT_KEY_TYPE, isKeyType, KEY_TYPES, type KeyType } from "./key-types.js"

export class KeyError extends Data.TaggedError("KeyError")<{ readonly message: string }> {}

type KeyAlgorithm =
  | { readonly name: "RSASSA-PKCS1-v1_5"; readonly hash: "SHA-256" }
  | { readonly name: "Ed25519" }
  | { readonly name: "ECDSA"; readonly namedCurve: "P-256" | "P-384" | "P-521" }

const RSA: KeyAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }

const algorithmOf = (type: KeyType): KeyAlgorithm => {
  switch (type) {
    case "rsa2048":
    case "rsa4096":
      return RSA
    case "ed25519":
      return { name: "Ed25519" }
    case "p256":
      return { name: "ECDSA", namedCurve: "P-256" }
    case "p384":
      return { name: "ECDSA", namedCurve: "P-384" }
    case "p521":
      return { name: "ECDSA", namedCurve: "P-521" }
  }
}

/** The algorithm @peculiar/x509 signs certificates and CSRs with, for a key. */
export const signingAlgorithm = (key: CryptoKey): SigningAlgorithm => {
  const alg = key.algorithm as SigningAlgorithm & { namedCurve?: string }
  if (alg.name === "ECDSA") {
    const hash = alg.namedCurve === "P-521" ? "SHA-512" : alg.namedCurve === "P-384" ? "SHA-384" : "SHA-256"
    return { name: "ECDSA", hash }
  }
  return alg
}

const tryPromise = <A>(what: string, f: () => Promise<A>): Effect.Effect<A, KeyError> =>
  Effect.tryPromise({ try: f, catch: (e) => new KeyError({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` }) })

export const generateKeyPair = (type: KeyType): Effect.Effect<CryptoKeyPair, KeyError> => {
  const alg = algorithmOf(type)
  const params =
    alg.name === "RSASSA-PKCS1-v1_5"
      ? { ...alg, modulusLength: type === "rsa4096" ? 4096 : 2048, publicExponent: new Uint8Array([1, 0, 1]) }
      : alg
  return tryPromise(`generating a ${type} key`, () => subtle.generateKey(params, true, ["sign", "verify"]) as Promise<CryptoKeyPair>)
}

/** The WebCrypto algorithm of a node:crypto key object. */
const algorithmOfKeyObject = (key: crypto.KeyObject): KeyAlgorithm | undefined => {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return RSA
    case "ed25519":
      return { name: "Ed25519" }
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve
      if (curve === "prime256v1") return { name: "ECDSA", namedCurve: "P-256" }
      if (curve === "secp384r1") return { name: "ECDSA", namedCurve: "P-384" }
      if (curve === "secp521r1") return { name: "ECDSA", namedCurve: "P-521" }
      return undefined
    }
    default:
      return undefined
  }
}

/** A private key from PEM (PKCS#8, PKCS#1 or SEC1), with its public key. */
export const privateKeyFromPem = (pem: string | Uint8Array): Effect.Effect<CryptoKeyPair, KeyError> =>
  Effect.gen(function* () {
    const keyObject = yield* Effect.try({
      try: () => crypto.createPrivateKey({ key: Buffer.from(pem), format: "pem" }),
      catch: (e) => new KeyError({ message: `invalid private key: ${e instanceof Error ? e.message : String(e)}` })
    })
    const alg = algorithmOfKeyObject(keyObject)
    if (alg === undefined) {
      return yield* new KeyError({ message: `unsupported private key type ${keyObject.asymmetricKeyType ?? "unknown"}` })
    }
    const pkcs8 = keyObject.export({ format: "der", type: "pkcs8" })
    const spki = crypto.createPublicKey(keyObject).export({ format: "der", type: "spki" })
    const privateKey = yield* tryPromise("importing the private key", () => subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]))
    const publicKey = yield* tryPromise("importing the public key", () => subtle.importKey("spki", spki, alg, true, ["verify"]))
    return { privateKey, publicKey }
  })

/** PKCS#8 PEM of a private key. */
export const privateKeyToPem = (key: CryptoKey): Effect.Effect<string, KeyError> =>
  Effect.map(tryPromise("exporting the private key", () => subtle.exportKey("pkcs8", key)), (der) =>
    crypto.createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString()
  )

/** The DER SubjectPublicKeyInfo of a public key, to compare keys. */
export const spkiOf = (key: CryptoKey): Effect.Effect<Uint8Array, KeyError> =>
  Effect.map(tryPromise("exporting the public key", () => subtle.exportKey("spki", key)), (der) => new Uint8Array(der))
