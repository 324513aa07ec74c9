#!/usr/bin/env node
// Runs the whole suite (vitest) and ends with one plain summary line, "N passed, N failed",
// which CI reads; the exit code is vitest's.
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, rmSync } from "node:fs"

const results = ".vitest-results.json"
rmSync(results, { force: true })
const run = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${results}`, ...process.argv.slice(2)],
  { stdio: "inherit" }
)
let code = run.status ?? 1
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, "utf8"))
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  if (r.numTotalTests === 0) code = code || 1
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`)
  if (r.numFailedTestSuites > 0) console.log(`test files that failed to run or had failures: ${r.numFailedTestSuites}`)
} else {
  console.log("\ntests: 0 passed, 1 failed (vitest wrote no results)")
  code = code || 1
}
process.exit(code)
