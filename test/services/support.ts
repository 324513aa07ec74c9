/** Shared helpers of the host-service tests: temporary directories, root/tool requirements. */
import { execFileSync } from "node:child_process"
import { constants, mkdtempSync, openSync, rmSync } from "node:fs"
import { Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either, type Layer } from "effect"
import { afterEach } from "vitest"
import { findOnPath } from "../../src/layers/linux/path-lookup.js"

const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary directory, removed after the test. */
export const tempDir = (prefix = "albatross-svc-"): string => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

/** Fails the test with a clear message unless running as root. */
export const requireRoot = (what: string): void => {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (this test must run as root, as CI does)`)
}

/** Fails the test with a clear message unless `tool` is on PATH. */
export const requireTool = async (tool: string, what: string): Promise<void> => {
  if ((await findOnPath(tool)) === undefined) throw new Error(`${what} needs the '${tool}' tool on PATH`)
}

export const sh = (argv: ReadonlyArray<string>): string => execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8" })

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** Runs and returns the failure (or throws if it succeeded). */
export const runFailure = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const r = await Effect.runPromise(Effect.either(effect))
  if (Either.isRight(r)) throw new Error(`expected a failure, got ${String(r.right)}`)
  return r.left
}

export const runWith = <A, E, R>(effect: Effect.Effect<A, E, R>, layer: Layer.Layer<R>): Promise<A> =>
  Effect.runPromise(Effect.provide(effect, layer))

/**
 * Reads a FIFO until every writer closed it. Opened at once, non-blocking, as albatross-console
 * does before the tender is spawned: a blocking open would wait in libuv's thread pool and might
 * only start after a short-lived writer (another process) has come and gone, then wait forever.
 */
export const readFifo = (path: string): { readonly text: () => string; readonly done: Promise<string> } => {
  const chunks: Array<Buffer> = []
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const s = new Socket({ fd, readable: true, writable: false })
  s.on("data", (c) => chunks.push(c))
  const done = new Promise<string>((resolve, reject) => {
    s.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    s.on("error", reject)
  })
  return { text: () => Buffer.concat(chunks).toString("utf8"), done }
}
