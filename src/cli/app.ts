/**
 * The albatross-client command tree and a runner that maps every outcome to the
 * reference's exit codes (spec §11.6): @effect/cli validation errors are CLI errors (124).
 */
import { Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Console, Effect } from "effect"
import { ClientEnv, type ClientEnvShape } from "./client-env.js"
import { normalizeArgv } from "./argv.js"
import { blockCommands } from "./commands/block.js"
import { consoleCommands } from "./commands/console.js"
import { dumpCommands } from "./commands/dump.js"
import { policyCommands } from "./commands/policy.js"
import { remoteCommands } from "./remote/commands.js"
import { statsCommands } from "./commands/stats.js"
import { unikernelCommands } from "./commands/unikernel.js"
import { ExitCode } from "./exit-code.js"
import { versionText } from "./version.js"

const subcommands = [
  ...policyCommands,
  ...unikernelCommands,
  ...blockCommands,
  ...consoleCommands,
  ...statsCommands,
  ...dumpCommands,
  ...remoteCommands
] as const

export const subcommandNames: ReadonlyArray<string> = subcommands.flatMap((c) => {
  // the union of 22 command types is too wide for getNames' inference; each is a Command
  const command = c as unknown as Command.Command<string, never, never, unknown>
  return [...Command.getNames(command)]
})

export const rootCommand = Command.make("albatross-client").pipe(
  Command.withDescription(
    "Interacts with the albatross daemons: executes a unikernel command (create, console, ...) " +
      "by connecting to the local daemon's socket (--socket, default under --tmpdir)."
  ),
  Command.withSubcommands(subcommands)
)

const text = (args: ReadonlyArray<unknown>): string => args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")

/** Route @effect/cli's own printing (help, version, validation errors) to the client's streams. */
const consoleFor = (env: ClientEnvShape) =>
  Console.consoleWith((base) =>
    Effect.succeed<Console.Console>({
      ...base,
      log: (...args) => Effect.sync(() => env.writeStdout(text(args) + "\n")),
      info: (...args) => Effect.sync(() => env.writeStdout(text(args) + "\n")),
      error: (...args) => Effect.sync(() => env.writeStderr(text(args) + "\n")),
      warn: (...args) => Effect.sync(() => env.writeStderr(text(args) + "\n"))
    })
  )

/** Run the client on `args` (the words after the program name); resolves to the exit code. */
export const runClient = (args: ReadonlyArray<string>, env: ClientEnvShape): Promise<number> => {
  // cmdliner prints the bare version line (@effect/cli would add an empty line)
  if (args.length === 1 && args[0] === "--version") {
    env.writeStdout(`${versionText()}\n`)
    return Promise.resolve(ExitCode.success)
  }
  // `help [TOPIC]` as in the reference: the root help, a subcommand's help, or the list of topics
  if (args[0] === "help") {
    const topic = args[1]
    if (topic === undefined) return runClient(["--help"], env)
    if (subcommandNames.includes(topic)) return runClient([topic, "--help"], env)
    env.writeStdout(`unknown command '${topic}', available commands:\n${subcommandNames.join("\n")}\n`)
    return Promise.resolve(ExitCode.cliError)
  }
  const cli = Command.run(rootCommand, { name: "albatross-client", version: versionText() })
  const program = Effect.gen(function* () {
    const console = yield* consoleFor(env)
    return yield* cli(["node", "albatross-client", ...normalizeArgv(args)]).pipe(
      Effect.as<number>(ExitCode.success),
      Effect.catchAll((e) => {
        if (ValidationError.isValidationError(e)) return Effect.succeed<number>(ExitCode.cliError)
        if (e._tag === "ClientExit") {
          if (e.message !== "") env.writeStderr(`${env.programName}: ${e.message}\n`)
          return Effect.succeed<number>(e.code)
        }
        env.writeStderr(`${env.programName}: ${String(e)}\n`)
        return Effect.succeed<number>(ExitCode.internalError)
      }),
      Effect.catchAllDefect((defect) =>
        Effect.sync(() => {
          env.writeStderr(`${env.programName}: internal error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}\n`)
          return ExitCode.internalError
        })
      ),
      Effect.withConsole(console)
    )
  })
  return Effect.runPromise(program.pipe(Effect.provideService(ClientEnv, env), Effect.provide(NodeContext.layer)))
}
