/**
 * Where the golden vectors recorded from the OCaml albatross live. They are not copied into this
 * repository: the tests read them from `../shared/vectors` next to it, or from the directory
 * named by ALBATROSS_VECTORS. A missing directory fails loudly (never a silent skip).
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

const locate = (): string => {
  const dir = process.env["ALBATROSS_VECTORS"] ?? path.resolve(repoRoot, "../shared/vectors")
  if (!existsSync(path.join(dir, "vectors.json"))) {
    throw new Error(
      `golden vectors not found in ${dir}: the tests read the OCaml albatross's vectors from ../shared/vectors ` +
        `next to the repository; set ALBATROSS_VECTORS to their directory when they are elsewhere`
    )
  }
  return dir
}

export const vectorsDir: string = locate()

/** The path of one vector file, e.g. `vectorFile("transcripts.json")`. */
export const vectorFile = (name: string): string => path.join(vectorsDir, name)
