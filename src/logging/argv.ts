/**
 * `-vv` and `-v -v` are how operators of albatross ask for debug logs, but @effect/cli takes a
 * boolean flag once and rejects it repeated. Since one `-v` already means debug here (see
 * level.ts), the repeated verbose flags are folded into one `--verbose` before parsing, where the
 * first one stood; everything after `--` is left alone.
 */
const isVerboseFlag = (arg: string): boolean => arg === "--verbose" || /^-v+$/.test(arg)

export const foldVerboseFlags = (argv: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  let seen = false
  let ended = false
  for (const arg of argv) {
    if (!ended && isVerboseFlag(arg)) {
      if (!seen) out.push("--verbose")
      seen = true
      continue
    }
    if (arg === "--") ended = true
    out.push(arg)
  }
  return out
}
