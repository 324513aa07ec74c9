/**
 * CommandRunner on node:child_process: argv vectors, no shell (spec §5). Used on Linux and
 * FreeBSD alike (`freebsd/command-runner.ts` re-exports it).
 */
import { spawn } from "node:child_process"
import { Effect, Layer } from "effect"
import {
  CommandError,
  type CommandResult,
  commandLine,
  CommandRunner,
  type CommandRunnerService,
  type RunOptions
} from "../../services/command-runner.js"
import { errnoText } from "./errno-text.js"

export const nodeCommandRunner: CommandRunnerService = {
  run: (argv: ReadonlyArray<string>, options?: RunOptions) =>
    Effect.async<CommandResult, CommandError>((resume) => {
      const [prog, ...args] = argv
      if (prog === undefined) {
        resume(Effect.fail(new CommandError({ argv, message: "empty command line" })))
        return
      }
      const child = spawn(prog, args, {
        stdio: [options?.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        shell: false
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout?.on("data", (b: Buffer) => out.push(b))
      child.stderr?.on("data", (b: Buffer) => (options?.mergeStderr === true ? out : err).push(b))
      if (options?.stdin !== undefined && child.stdin !== null) {
        child.stdin.on("error", () => {})
        child.stdin.end(options.stdin)
      }
      let done = false
      child.on("error", (e) => {
        if (done) return
        done = true
        resume(Effect.fail(new CommandError({ argv, message: `cmd ${commandLine(argv)} exits: ${errnoText(e)}` })))
      })
      child.on("close", (code, signal) => {
        if (done) return
        done = true
        resume(
          Effect.succeed({
            exitCode: code,
            signal,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8")
          })
        )
      })
      return Effect.sync(() => {
        if (!done) child.kill("SIGKILL")
      })
    })
}

export const CommandRunnerLive: Layer.Layer<CommandRunner> = Layer.succeed(CommandRunner, nodeCommandRunner)

/**
 * Runs every command behind a prefix, e.g. `["ip", "netns", "exec", "albatross-test"]`, so a
 * test drives the real Linux layers inside a network namespace it created.
 */
export const prefixedCommandRunner = (
  prefix: ReadonlyArray<string>,
  inner: CommandRunnerService = nodeCommandRunner
): CommandRunnerService => ({
  run: (argv, options) => inner.run([...prefix, ...argv], options)
})
