/**
 * A deterministic in-memory host for albatrossd tests: processes that exit when told, taps
 * numbered from 0, files and block devices in maps, the state file in memory, and failures
 * injected per operation. Everything it did is recorded for the assertions.
 */
import { createHash } from "node:crypto"
import * as zlib from "node:zlib"
import { Deferred, Effect, Layer, Option, Stream } from "effect"
import { Name } from "../../src/domain/name.js"
import type { Policy } from "../../src/domain/policy.js"
import type { ProcessExit } from "../../src/domain/process-exit.js"
import type { PersistedState } from "../../src/domain/wire.js"
import { Host, HostError, type TenderProcess, type VmmHost } from "../../src/daemons/albatrossd/host.js"
import { encodeStateSync, decodeStateSync } from "../../src/wire/index.js"
import { Either } from "effect"

export interface FakeProcess {
  readonly pid: number
  readonly argv: ReadonlyArray<string>
  readonly fifo: string
  readonly done: Deferred.Deferred<ProcessExit>
  terminated: number
  killed?: boolean
  exited: boolean
}

export type Failable =
  | "checkImage"
  | "checkManifest"
  | "writeImage"
  | "checkBridge"
  | "createFifo"
  | "createTap"
  | "spawn"
  | "createBlock"
  | "writeState"

export const defaultRootPolicy: Policy = {
  unikernels: (1n << 62n) - 1n,
  cpuids: [0, 1, 2, 3],
  memory: 4096,
  block: 1000,
  bridges: ["br0", "gone", "service"]
}

export const makeFakeHost = (
  options: {
    rootPolicy?: Policy
    state?: PersistedState
    blocks?: ReadonlyArray<{ name: string; size: number }>
    /** Bridges that exist besides br0, service, other. */
    bridges?: ReadonlyArray<string>
    os?: "linux" | "freebsd"
  } = {}
) => {
  let nextPid = 1000
  const processes: Array<FakeProcess> = []
  const files = new Map<string, Uint8Array | "fifo">()
  const taps = new Set<string>()
  const tapLog: Array<string> = []
  const blocks = new Map<string, Uint8Array>()
  for (const b of options.blocks ?? []) blocks.set(b.name, new Uint8Array(b.size * 1024 * 1024))
  /** The state file as bytes, exactly as it would be on disk (encoded with the real codec). */
  let stateBytes: Uint8Array | undefined =
    options.state === undefined ? undefined : Either.getOrThrow(encodeStateSync(options.state))
  let stateWrites = 0
  let startedSnapshot: Uint8Array | undefined
  const failures = new Map<Failable, string>()
  /** Terminated processes exit with this (default: signal 15); "ignore" leaves them running. */
  let onTerminate: ProcessExit | "ignore" = { _tag: "Signal", signal: 15 }

  const failIf = (op: Failable) =>
    Effect.suspend(() => {
      const m = failures.get(op)
      return m === undefined ? Effect.void : Effect.fail(new HostError({ message: m }))
    })

  const bhyveLog: Array<string> = []
  const host: VmmHost = {
    os: options.os ?? "linux",
    bootBhyve: (boot) => Effect.sync(() => void bhyveLog.push(`boot ${boot.vm} ${boot.memory} ${boot.disk0} ${boot.linuxBootPartition ?? "-"}`)),
    destroyBhyve: (vm) => Effect.sync(() => void bhyveLog.push(`destroy ${vm}`)),
    rootPolicy: Effect.succeed(options.rootPolicy ?? defaultRootPolicy),
    checkImage: (_name, config) =>
      Effect.zipRight(
        failIf("checkImage"),
        Effect.try({
          try: () => {
          const image = config.compressed ? new Uint8Array(zlib.inflateSync(config.image)) : config.image
          return { image, digest: new Uint8Array(createHash("sha256").update(image).digest()), tender: "solo5-hvt" }
          },
          catch: (e) => new HostError({ message: `failed to uncompress: ${String(e)}` })
        })
      ),
    checkManifest: () => failIf("checkManifest"),
    writeImage: (path, image) => Effect.zipRight(failIf("writeImage"), Effect.sync(() => void files.set(path, image))),
    removeFile: (path) => Effect.sync(() => void files.delete(path)),
    checkBridge: (bridge) =>
      Effect.zipRight(
        failIf("checkBridge"),
        ["br0", "service", "other", ...(options.bridges ?? [])].includes(bridge) ? Effect.void : Effect.fail(new HostError({ message: `interface ${bridge} does not exist` }))
      ),
    createFifo: (path) => Effect.zipRight(failIf("createFifo"), Effect.sync(() => void files.set(path, "fifo"))),
    createTap: () =>
      Effect.zipRight(
        failIf("createTap"),
        Effect.sync(() => {
          let n = 0
          while (taps.has(`vmmtap${n}`)) n++
          taps.add(`vmmtap${n}`)
          tapLog.push(`add vmmtap${n}`)
          return `vmmtap${n}`
        })
      ),
    destroyTap: (tap) => Effect.sync(() => {
      taps.delete(tap)
      tapLog.push(`del ${tap}`)
    }),
    spawn: (argv, fifo) =>
      Effect.gen(function* () {
        yield* failIf("spawn")
        const done = yield* Deferred.make<ProcessExit>()
        const p: FakeProcess = { pid: nextPid++, argv, fifo, done, terminated: 0, exited: false }
        processes.push(p)
        const tp: TenderProcess = {
          pid: p.pid,
          exit: Deferred.await(done),
          terminate: Effect.suspend(() => {
            p.terminated++
            if (onTerminate === "ignore" || p.exited) return Effect.void
            p.exited = true
            return Deferred.succeed(done, onTerminate)
          }),
          kill: Effect.suspend(() => {
            p.killed = true
            if (p.exited) return Effect.void
            p.exited = true
            return Deferred.succeed(done, { _tag: "Signal", signal: 9 })
          })
        }
        return tp
      }),
    discoverBlocks: Effect.sync(() =>
      [...blocks].map(([n, data]) => ({ name: Either.getOrThrow(Name.fromString(n)), size: data.length / (1024 * 1024) }))
    ),
    createBlock: (name, size, data) =>
      Effect.zipRight(
        failIf("createBlock"),
        Effect.suspend(() => {
          if (blocks.has(name.toString())) return Effect.fail(new HostError({ message: "file already exists" }))
          const bytes = new Uint8Array(size * 1024 * 1024)
          if (Option.isSome(data)) bytes.set(data.value)
          blocks.set(name.toString(), bytes)
          return Effect.void
        })
      ),
    removeBlock: (name) => Effect.sync(() => void blocks.delete(name.toString())),
    setBlock: (name, size, compressed, chunks) =>
      Effect.gen(function* () {
        const parts = yield* Stream.runCollect(chunks)
        const joined = Buffer.concat([...parts])
        const data = compressed ? zlib.inflateSync(joined) : joined
        if (data.length > size * 1024 * 1024) return yield* new HostError({ message: "stream exceeds size" })
        const bytes = new Uint8Array(size * 1024 * 1024)
        bytes.set(data)
        blocks.set(name.toString(), bytes)
      }),
    dumpBlock: (name, level) =>
      Stream.unwrap(
        Effect.suspend(() => {
          const b = blocks.get(name.toString())
          if (b === undefined) return Effect.fail(new HostError({ message: "no such file" }))
          const out = level > 0 ? new Uint8Array(zlib.deflateSync(b, { level })) : b
          const pieces: Array<Uint8Array> = []
          for (let off = 0; off < out.length; off += 65536) pieces.push(out.subarray(off, off + 65536))
          return Effect.succeed(Stream.fromIterable(pieces))
        })
      ),
    readState: Effect.suspend(() =>
      stateBytes === undefined
        ? Effect.succeed(Option.none())
        : Effect.map(
            Effect.mapError(decodeStateSync(stateBytes), (e) => new HostError({ message: `couldn't parse state: ${e.message}` })),
            Option.some
          )
    ),
    writeState: (state) =>
      Effect.zipRight(
        failIf("writeState"),
        Effect.suspend(() =>
          Effect.map(
            Effect.mapError(encodeStateSync(state), (e) => new HostError({ message: e.message })),
            (bytes) => {
              stateBytes = bytes
              stateWrites++
            }
          )
        )
      ),
    snapshotStarted: Effect.sync(() => {
      startedSnapshot = stateBytes
    })
  }

  const live = () => processes.filter((p) => !p.exited)
  return {
    host,
    layer: Layer.succeed(Host, host),
    processes,
    live,
    files,
    taps,
    tapLog,
    bhyveLog,
    blocks,
    failures,
    setOnTerminate: (e: ProcessExit | "ignore") => {
      onTerminate = e
    },
    /** Make the latest process of `name` (by its image path) exit. */
    exit: (p: FakeProcess, exit: ProcessExit) =>
      Effect.suspend(() => {
        p.exited = true
        return Deferred.succeed(p.done, exit)
      }),
    state: (): PersistedState | undefined => (stateBytes === undefined ? undefined : Either.getOrThrow(decodeStateSync(stateBytes))),
    stateWrites: () => stateWrites,
    setStateBytes: (b: Uint8Array | undefined) => {
      stateBytes = b
    },
    startedSnapshot: () => startedSnapshot
  }
}

export type FakeHost = ReturnType<typeof makeFakeHost>
