#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * albatrossd: the privileged daemon that runs unikernels (spec §4).
 *
 * `--max-semi-space-size=1` (MB; V8's default young generation is 16 MB per semi-space): the
 * daemon allocates little and rarely, so a smaller young generation costs it nothing measurable
 * and keeps about 20 MB less resident with 200 unikernels (BENCHMARKS.md, albatrossd).
 */
import { Command, ValidationError } from "@effect/cli"
// the module paths, not the package index: the index loads every Node platform module (HTTP
// client and server, undici, workers), about 30 MB of RSS the daemon never uses
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { versionText } from "../cli/version.js"
import { foldVerboseFlags } from "../logging/argv.js"
import { albatrossdCommand } from "../daemons/albatrossd/cli.js"

// a client that goes away must not kill the daemon
process.on("SIGPIPE", () => {})

// SIGTERM (and SIGINT) interrupt the main fiber: every unikernel is stopped, the state file is kept
Command.run(albatrossdCommand, { name: "albatrossd", version: versionText() })(foldVerboseFlags(process.argv)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      process.exitCode = ValidationError.isValidationError(e) ? 124 : 1
    })
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
