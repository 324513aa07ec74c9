#!/usr/bin/env node
// Runs every benchmark (bench/<area>/run.mjs, against the built dist/) one after the other,
// or only the areas named on the command line: `npm run bench -- wire console`.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
const areas = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, "run.mjs")))
  .map((d) => d.name)
  .filter((a) => wanted.length === 0 || wanted.includes(a))
  .sort()
let failed = 0
for (const area of areas) {
  console.log(`\n=== bench/${area}`)
  const r = spawnSync(process.execPath, ["--expose-gc", join(here, area, "run.mjs")], { stdio: "inherit" })
  if (r.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
