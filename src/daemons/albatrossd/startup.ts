/**
 * Starting albatrossd (spec §4.2) and stopping it (spec §4.8).
 * Start: blocks on disk, root policy, state file (+ state.started), policies with their checks,
 * console link, the socket, then the persisted unikernels in startup order (spec §2.7).
 * Stop (the scope closing, e.g. on SIGTERM): no more dumps, every tender gets SIGTERM and is
 * waited for; the state file keeps listing them all so they come back on the next start.
 */
import * as path from "node:path"
import { Data, Effect, FiberMap, Option, type Scope } from "effect"
import { policyDisplay, policyEquals } from "../../domain/policy-rules.js"
import type { NamedConfig } from "../../domain/wire.js"
import { counted, ConnectionCounter } from "../../metrics/connections.js"
import { resourceSources } from "../../metrics/resources-source.js"
import { SelfMetrics } from "../../metrics/service.js"
import { serveUnix } from "../../net/server.js"
import { Accounting, preOrder } from "./accounting.js"
import { makeConsoleLink } from "./console-link.js"
import { type Daemon, dumpState, locked } from "./daemon.js"
import { serveConnection } from "./dispatch.js"
import { Host } from "./host.js"
import type { DaemonOptions } from "./options.js"
import { makeStatsLink } from "./stats-link.js"
import { create } from "./unikernel-commands.js"

export class StartError extends Data.TaggedError("StartError")<{ readonly message: string }> {}

export const vmmdSocketPath = (tmpdir: string) => path.join(tmpdir, "util", "vmmd.sock")
export const consoleSocketPath = (tmpdir: string) => path.join(tmpdir, "util", "console.sock")

/** Spec §2.7: by `startup` ascending (absent = 50), stable over trie pre-order. */
export const startupOrder = (unikernels: ReadonlyArray<NamedConfig>): ReadonlyArray<NamedConfig> =>
  [...unikernels]
    .sort((a, b) => preOrder(a.name.key(), b.name.key()))
    .map((u, i) => ({ u, i }))
    .sort((a, b) => (a.u.config.startup ?? 50) - (b.u.config.startup ?? 50) || a.i - b.i)
    .map(({ u }) => u)

const abort = (message: string) => new StartError({ message })

/** Everything up to (and including) the listening socket; the daemon is returned before restoring. */
export const startDaemon = (options: DaemonOptions): Effect.Effect<Daemon, StartError, Host | Scope.Scope> =>
  Effect.gen(function* () {
    const host = yield* Host
    const metrics = yield* SelfMetrics
    const acc = new Accounting(options.zvolPath, resourceSources(metrics))
    const connections = new ConnectionCounter(metrics, "unix")

    const blocks = yield* host.discoverBlocks.pipe(
      Effect.catchAll((e) => Effect.as(Effect.logWarning(`block devices: ${e.message}`), []))
    )
    for (const b of blocks) {
      const refused = acc.addBlock(b.name, b.size)
      if (refused !== undefined) yield* Effect.logWarning(`block device ${b.name.toString()}: ${refused}`)
    }

    const rootPolicy = yield* Effect.mapError(host.rootPolicy, (e) =>
      abort(e.message.startsWith("root policy failed") ? e.message : `root policy failed: ${e.message}`)
    )
    yield* Effect.logInfo(`root policy: ${policyDisplay(rootPolicy)}`)

    const stored = yield* host.readState.pipe(Effect.mapError((e) => abort(e.message)))
    if (Option.isNone(stored)) yield* Effect.logWarning("no state file found, starting with an empty state")
    else yield* host.snapshotStarted
    const state = Option.getOrElse(stored, () => ({ unikernels: [], policies: [] }))

    const storedRoot = state.policies.find((p) => p.name.path.length === 0)?.policy
    if (storedRoot !== undefined && !policyEquals(storedRoot, rootPolicy))
      yield* Effect.logWarning(`replacing stored root policy ${policyDisplay(storedRoot)} with ${policyDisplay(rootPolicy)}`)
    const rootRefused = acc.insertPolicy([], rootPolicy)
    if (rootRefused !== undefined) return yield* abort(`root policy failed: ${rootRefused}`)
    for (const p of [...state.policies].sort((a, b) => preOrder(a.name.path, b.name.path))) {
      if (p.name.path.length === 0) continue
      const refused = acc.insertPolicy(p.name.path, p.policy)
      if (refused !== undefined)
        return yield* abort(`policy restore error: couldn't insert policy ${policyDisplay(p.policy)} for ${p.name.toString()}: ${refused}`)
    }

    const console = yield* makeConsoleLink(consoleSocketPath(options.tmpdir), options.consoleTimeout)
    yield* console.connect.pipe(Effect.mapError((e) => abort(e.message)))
    yield* Effect.addFinalizer(() => console.close)

    const fibers = yield* FiberMap.make<string>()
    const daemon: Daemon = {
      options,
      host,
      acc,
      supervised: new Map(),
      lock: yield* Effect.makeSemaphore(1),
      fibers,
      console,
      stats: yield* makeStatsLink(),
      rootPolicy,
      shuttingDown: false,
      blocksBeingSet: new Set()
    }
    // runs before the FiberMap's own finalizer: stop dumping, then stop every tender and wait
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        daemon.shuttingDown = true
        const n = yield* FiberMap.size(fibers)
        if (n > 0) yield* Effect.logInfo(`stopping ${n} unikernels`)
        yield* FiberMap.clear(fibers)
      })
    )

    yield* serveUnix(
      {
        path: vmmdSocketPath(options.tmpdir),
        systemdSocketActivation: options.systemdSocketActivation,
        connection: { maxFrame: options.maxFrame, readTimeout: options.readTimeout }
      },
      (conn) => counted(connections, serveConnection(daemon)(conn))
    ).pipe(Effect.mapError((e) => abort(e.message)))

    // spec §4.2 step 12: each through the normal create path. Unlike the reference, which
    // rewrites the state file after every one, it is written once when all are back: faster, and
    // a daemon stopped half-way through keeps the complete file.
    const restored = startupOrder(state.unikernels)
    for (const u of restored) {
      const r = yield* create(daemon, u.name, u.config, false)
      if (r._tag === "Err") yield* Effect.logError(`could not restore ${u.name.display()}: ${r.message}`)
    }
    if (restored.length > 0) yield* locked(daemon, dumpState(daemon))
    return daemon
  })

export const runDaemon = (options: DaemonOptions): Effect.Effect<never, StartError, Host> =>
  Effect.scoped(Effect.zipRight(startDaemon(options), Effect.never))
