/**
 * GNU-style command lines for @effect/cli.
 *
 * The reference (cmdliner) accepts options anywhere, `--opt=value` and `--opt value`
 * alike, and repeats of the same option in either form. @effect/cli 0.77 stops reading
 * options at the first positional argument and mis-parses repeated `--opt=value`, so
 * before parsing we rewrite the command line: every option (split into `--opt value`)
 * goes first, then the positional arguments in their order. `--` ends options.
 */

/** Options that take no value; every other `-x`/`--xyz` consumes one. */
export const FLAG_OPTIONS: ReadonlySet<string> = new Set([
  "-f",
  "--force",
  "--no-add-name",
  "--restart-on-fail",
  "--restart",
  "--replace-arguments",
  "--dryrun",
  "--dry-run",
  "--json",
  "--csr",
  "-h",
  "--help",
  "--version",
  "--wizard",
  "--completions"
])

/** `--completions` takes a value but is built into @effect/cli. */
const VALUE_BUILTINS: ReadonlySet<string> = new Set(["--completions", "--log-level"])

const isOption = (arg: string): boolean => arg.length > 1 && arg.startsWith("-") && arg !== "-"

/**
 * Reorder `args` (the words after the program name): the subcommand first, then every
 * option, then the positional arguments.
 */
export const normalizeArgv = (args: ReadonlyArray<string>): Array<string> => {
  const options: Array<string> = []
  const positional: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      positional.push(...args.slice(i + 1))
      break
    }
    if (!isOption(arg)) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    if (arg.startsWith("--") && eq > 2) {
      options.push(arg.slice(0, eq), arg.slice(eq + 1))
      continue
    }
    if (FLAG_OPTIONS.has(arg) && !VALUE_BUILTINS.has(arg)) {
      options.push(arg)
      continue
    }
    // a short option with its value attached: -nfoo
    if (!arg.startsWith("--") && arg.length > 2) {
      options.push(arg.slice(0, 2), arg.slice(2))
      continue
    }
    options.push(arg)
    if (i + 1 < args.length) {
      options.push(args[i + 1]!)
      i++
    }
  }
  // the subcommand name is the first positional word
  const [subcommand, ...rest] = positional
  return subcommand === undefined ? options : [subcommand, ...options, ...rest]
}
