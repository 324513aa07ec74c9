/**
 * A network namespace holding one bridge, for end-to-end tests that need real tap devices.
 * Needs root and iproute2 (CI has both): without them it fails with a clear message, never skips.
 */
import { execFileSync } from "node:child_process"

/** Runs `argv` inside namespace `ns`, returning its stdout. */
export const inNamespace = (ns: string, ...argv: Array<string>): string =>
  execFileSync("ip", ["netns", "exec", ns, ...argv], { encoding: "utf8" })

/** Creates namespace `ns` with bridge `bridge` up (removing the namespace again if the bridge fails); true once made. */
export const addNamespaceWithBridge = (ns: string, bridge: string): true => {
  if (process.getuid?.() !== 0) throw new Error("this test needs root (it creates a network namespace, a bridge and taps)")
  try {
    execFileSync("ip", ["-V"])
  } catch {
    throw new Error("this test needs the `ip` tool (iproute2)")
  }
  execFileSync("ip", ["netns", "add", ns])
  try {
    inNamespace(ns, "ip", "link", "add", bridge, "type", "bridge")
    inNamespace(ns, "ip", "link", "set", bridge, "up")
  } catch (e) {
    execFileSync("ip", ["netns", "del", ns])
    throw e
  }
  return true
}
