// Bundles each entry point in dist/bin/ (compiled by tsc) into one file, in place.
//
// Why: a program here imports some 900 module files (effect alone about 300, fast-check through
// effect/Schema, yaml through @effect/cli), and Node's ES module loader spends most of a start-up
// resolving and loading them: `albatross-client info` took about 1 s before its first byte,
// 0.4 s bundled. The rest of dist/ keeps tsc's layout (tests and other code import it).
// Source maps chain back to src/ through tsc's maps.
import { build } from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"

const binDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../dist/bin")
const entries = fs.readdirSync(binDir).filter((f) => f.endsWith(".js"))
if (entries.length === 0) throw new Error(`no entry points in ${binDir}: run tsc first`)

await Promise.all(
  entries.map((file) => {
    const target = path.join(binDir, file)
    return build({
      entryPoints: [target],
      outfile: target,
      allowOverwrite: true,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      legalComments: "none",
      logLevel: "warning",
      // CommonJS dependencies bundled into an ES module still call require() for Node built-ins
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
    })
  })
)
console.log(`bundled ${entries.length} programs in ${path.relative(process.cwd(), binDir) || binDir}`)
