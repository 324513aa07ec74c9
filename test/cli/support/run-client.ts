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
