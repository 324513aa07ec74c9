#!/usr/bin/env node
/** albatross-tls-endpoint: remote management over mutually authenticated TLS 1.3 (spec §10). */
import { Command, ValidationError } from "@effect/cli"
// the module paths, not the package index (which loads the HTTP client and server, undici, workers)
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { versionText } from "../cli/version.js"
import { foldVerboseFlags } from "../logging/argv.js"
import { endpointCommand } from "../daemons/tls-endpoint/cli.js"

// a client that goes away must not kill the endpoint
process.on("SIGPIPE", () => {})

Command.run(endpointCommand, { name: "albatross-tls-endpoint", version: versionText() })(foldVerboseFlags(process.argv)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      process.exitCode = ValidationError.isValidationError(e) ? 124 : 1
    })
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
