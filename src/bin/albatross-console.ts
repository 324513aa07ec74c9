#!/usr/bin/env node
/** albatross-console: console output of unikernels (spec §7). */
import { Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { versionText } from "../cli/version.js"
import { foldVerboseFlags } from "../logging/argv.js"
import { consoleCommand } from "../daemons/console/cli.js"

// a subscriber that goes away must not kill the daemon
process.on("SIGPIPE", () => {})

Command.run(consoleCommand, { name: "albatross-console", version: versionText() })(foldVerboseFlags(process.argv)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      process.exitCode = ValidationError.isValidationError(e) ? 124 : 1
    })
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
