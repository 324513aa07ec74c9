#!/usr/bin/env node
/** albatross-client: see src/cli/app.ts. */
import { runClient } from "../cli/app.js"
import { processClientEnv } from "../cli/client-env.js"

runClient(process.argv.slice(2), processClientEnv()).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`albatross-client: internal error: ${String(err)}\n`)
    process.exitCode = 125
  }
)
