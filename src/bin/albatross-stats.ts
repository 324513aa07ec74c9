#!/usr/bin/env -S node --no-memory-reducer
/**
 * albatross-stats: per-unikernel statistics (spec §8).
 *
 * `--no-memory-reducer`: between two ticks the daemon is idle, and V8's memory reducer takes
 * that for the end of the work and shrinks the heap, which the next tick grows again with
 * extra garbage collections: with 200 unikernels a tick cost 64-76 us per unikernel in about
 * half the runs and ~49 in the others; without the reducer 47-50 in every run, for ~20 MB more
 * resident (BENCHMARKS.md, ## stats).
 */
import { Command, ValidationError } from "@effect/cli"
// the module paths, not the package index (which loads the HTTP client and server, undici, workers)
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { versionText } from "../cli/version.js"
import { foldVerboseFlags } from "../logging/argv.js"
import { statsCommand } from "../daemons/stats/cli.js"

// a subscriber that goes away must not kill the daemon
process.on("SIGPIPE", () => {})

Command.run(statsCommand, { name: "albatross-stats", version: versionText() })(foldVerboseFlags(process.argv)).pipe(
  Effect.catchAll((e) =>
    Effect.sync(() => {
      // @effect/cli has printed validation errors already; the daemon logged its own failure
      process.exitCode = ValidationError.isValidationError(e) ? 124 : 1
    })
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
