/**
 * The key types the client offers (`--key-type`, spec §11.1), apart from keys.ts so that
 * parsing the command line does not load the certificate library (about a third of the
 * client's start-up time) for the local commands that never use it.
 */
export const KEY_TYPES = ["rsa2048", "rsa4096", "ed25519", "p256", "p384", "p521"] as const
export type KeyType = (typeof KEY_TYPES)[number]
export const DEFAULT_KEY_TYPE: KeyType = "ed25519"

export const isKeyType = (s: string): s is KeyType => (KEY_TYPES as ReadonlyArray<string>).includes(s)
