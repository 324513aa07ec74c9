#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=1 --heap-growing-percent=30 --gc-memory-reducer-start-delay-ms=2000
/**
 * albatrossd: the privileged daemon that runs unikernels (spec §4).
 *
 * `MALLOC_MMAP_THRESHOLD_=131072` (glibc; other C libraries ignore it): memory blocks of 128 KiB
 * and more are always mapped on their own and unmapped when freed. By default glibc raises that
 * threshold each time such a block is freed, up to 32 MiB, so later ones come from the main heap
 * and stay resident once freed (the state encodings, about 150 KiB with 200 unikernels, are
 * such blocks). With it the RSS with 200 running was 72-80 MB in every run, without it 83-111 MB
 * depending on the run (BENCHMARKS.md, albatrossd). Removed from the environment at start, so
 * the helpers and tenders do not inherit it.
 *
 * V8 options, for a small resident set (BENCHMARKS.md, albatrossd, has the runs):
 * - `--max-semi-space-size=1` (MB; the default young generation is 16 MB per semi-space): the
 *   daemon allocates little and rarely, so a smaller young generation costs it nothing
 *   measurable and keeps about 20 MB less resident with 200 unikernels.
 * - `--heap-growing-percent=30`: after a full collection the old generation may grow by 30 %
 *   before the next one, instead of V8's factor of up to 4 for a heap that collects quickly.
 *   Its live data is about 18 MB with 200 unikernels; with the default factor a burst of
 *   requests left 35-38 MB committed (RSS 107-109 MB), with 30 % 25-28 MB (RSS 85-90 MB). The
 *   extra full collections are short and the total pause time stayed the same (trace-gc).
 * - `--gc-memory-reducer-start-delay-ms=2000` (default 8000): once idle after such a burst, V8
 *   gives the spare heap back sooner.
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

// read by glibc when the process started; the helpers and tenders get the operator's environment
delete process.env["MALLOC_MMAP_THRESHOLD_"]

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
