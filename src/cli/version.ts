/** `--version`: `version <release> protocol version 5`, as the reference prints it. */
import * as fs from "node:fs"
import { PROTOCOL_VERSION } from "../domain/wire.js"

/** package.json sits two directories up from both src/cli and dist/cli. */
const release = (): string => {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8"))
    if (typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string") return pkg.version
  } catch {
    // fall through
  }
  return "unknown"
}

export const versionText = (): string => `version ${release()} protocol version ${PROTOCOL_VERSION}`
