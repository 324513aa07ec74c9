#!/usr/bin/env node
/** albatross-influx: pushes albatross-stats data to InfluxDB (spec §9). */
import { Command, ValidationError } from "@effect/cli"
// the module paths, not the package index (which loads the HTTP client and server, undici, workers)
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { versionText } from "../cli/version.js"
import { foldVerboseFlags } from "../logging/argv.js"
import { InfluxUsageError, influxCommand } from "../daemons/influx/cli.js"

process.on("SIGPIPE", () => {})

Command.run(influxCommand, { name: "albatross-influx", version: versionText() })(foldVerboseFlags(process.argv)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      if (e instanceof InfluxUsageError) {
        // the reference's wording and exit code (cmdliner term_result error: 123)
        process.stderr.write(`albatross-influx: ${e.message}\n`)
        process.exitCode = 123
      } else process.exitCode = ValidationError.isValidationError(e) ? 124 : 1
    })
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
