/**
 * The deterministic MAC of a unikernel interface without an explicit one (spec §1.5):
 * the Robotron OUI 00:80:41, then the first three bytes of MD5(netif ++ name), where netif is
 * the unikernel-side interface name and there is no separator.
 */
import { createHash } from "node:crypto"
import type { Name } from "./name.js"
import type { Mac } from "./unikernel.js"

const hex = (b: number): string => b.toString(16).padStart(2, "0")

export const deriveMac = (name: Name, netif: string): Mac => {
  const digest = createHash("md5").update(netif + name.toString(), "utf8").digest()
  return ["00", "80", "41", hex(digest[0]!), hex(digest[1]!), hex(digest[2]!)].join(":")
}

/** A MAC in colon form as its 6 bytes. */
export const macBytes = (mac: Mac): Uint8Array => Uint8Array.from(mac.split(":").map((h) => parseInt(h, 16)))
