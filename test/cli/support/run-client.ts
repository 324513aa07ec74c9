/**
 * Runs albatross-client in-process with captured output. A daemon-backed variant only
 * needs a different `tmpdir` (where the real daemons' sockets live): the client is the same.
 */
import { runClient } from "../../../src/cli/app.js"
import type { ClientEnvShape } from "../../../src/cli/client-env.js"

export interface ClientRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  /** Where `get`, `dump-block` and `extract-dump` write files. */
  readonly tempDir: string
  readonly startTime?: Date
  readonly stderrIsTTY?: boolean
}

export const runClientCaptured = async (args: ReadonlyArray<string>, options: RunOptions): Promise<ClientRun> => {
  let stdout = ""
  let stderr = ""
  const env: ClientEnvShape = {
    writeStdout: (t) => {
      stdout += t
    },
    writeStderr: (t) => {
      stderr += t
    },
    stderrIsTTY: options.stderrIsTTY ?? false,
    tempDir: options.tempDir,
    startTime: options.startTime ?? new Date("2026-11-22T08:48:18Z"),
    programName: "albatross-client"
  }
  const code = await runClient(args, env)
  return { code, stdout, stderr }
}

/** The built client, `dist/bin/albatross-client.js`; fails clearly when it was not built. */
export const clientBin = async (): Promise<string> => {
  const fs = await import("node:fs")
  const { fileURLToPath } = await import("node:url")
  const bin = fileURLToPath(new URL("../../../dist/bin/albatross-client.js", import.meta.url))
  if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist: run \`npm run build\` first (npm test does)`)
  return bin
}

/**
 * Runs the built binary (`dist/bin/albatross-client.js`) as a child process, for what only
 * a real process shows (its exit status) and for end-to-end runs against real daemons.
 */
export const runBinary = async (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Promise<ClientRun> => {
  const stream = await streamBinary(args, env)
  return stream.done
}

/** A client process whose output is read while it runs (console and stats streams). */
export interface ClientStream {
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the whole run once the process has exited. */
  readonly done: Promise<ClientRun>
  readonly kill: (signal?: NodeJS.Signals) => void
}

/** Starts the built binary and returns at once. */
export const streamBinary = async (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Promise<ClientStream> => {
  const { spawn } = await import("node:child_process")
  const bin = await clientBin()
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<ClientRun>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
  }
}
