/** Runs a FreeBSD base-system tool with a fixed locale and time zone, so its output parses the same everywhere. */
import { execFile } from "node:child_process"
import { Effect } from "effect"

export const runTool = (command: string, args: ReadonlyArray<string>): Effect.Effect<string, string> =>
  Effect.async<string, string>((resume) => {
    const child = execFile(
      command,
      [...args],
      {
        encoding: "latin1",
        timeout: 5000,
        maxBuffer: 1 << 20,
        env: { PATH: process.env["PATH"] ?? "/sbin:/bin:/usr/sbin:/usr/bin", LC_ALL: "C", TZ: "UTC" }
      },
      (err, stdout, stderr) => {
        if (err !== null) resume(Effect.fail(`${command} ${args.join(" ")}: ${(stderr || err.message).trim()}`))
        else resume(Effect.succeed(stdout))
      }
    )
    return Effect.sync(() => child.kill())
  })
