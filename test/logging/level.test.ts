/** The logging flags: which level they choose, and how repeated -v flags reach @effect/cli. */
import { LogLevel } from "effect"
import { describe, expect, it } from "vitest"
import { foldVerboseFlags } from "../../src/logging/argv.js"
import { chooseLevel, isSilent } from "../../src/logging/level.js"

describe("chooseLevel", () => {
  it("logs info by default and debug with -v", () => {
    expect(chooseLevel({ verbose: false, quiet: false })).toBe(LogLevel.Info)
    expect(chooseLevel({ verbose: true, quiet: false })).toBe(LogLevel.Debug)
  })
  it("--verbosity takes over -v", () => {
    expect(chooseLevel({ verbose: true, quiet: false, verbosity: "warning" })).toBe(LogLevel.Warning)
    expect(chooseLevel({ verbose: false, quiet: false, verbosity: "error" })).toBe(LogLevel.Error)
    expect(chooseLevel({ verbose: false, quiet: false, verbosity: "quiet" })).toBe(LogLevel.None)
  })
  it("-q takes over everything", () => {
    expect(chooseLevel({ verbose: true, quiet: true, verbosity: "debug" })).toBe(LogLevel.None)
    expect(isSilent({ verbose: false, quiet: true })).toBe(true)
    expect(isSilent({ verbose: false, quiet: false, verbosity: "quiet" })).toBe(true)
    expect(isSilent({ verbose: false, quiet: false })).toBe(false)
  })
})

describe("foldVerboseFlags", () => {
  it("folds -vv, -v -v and --verbose into one --verbose where the first stood", () => {
    expect(foldVerboseFlags(["node", "d", "-vv", "--tmpdir", "x"])).toEqual(["node", "d", "--verbose", "--tmpdir", "x"])
    expect(foldVerboseFlags(["node", "d", "--tmpdir", "x", "-v", "-v", "--verbose"])).toEqual(["node", "d", "--tmpdir", "x", "--verbose"])
    expect(foldVerboseFlags(["node", "d", "-vvv"])).toEqual(["node", "d", "--verbose"])
  })
  it("leaves everything else alone, and everything after --", () => {
    expect(foldVerboseFlags(["node", "d", "-q", "-vq", "--verbosity", "info"])).toEqual(["node", "d", "-q", "-vq", "--verbosity", "info"])
    expect(foldVerboseFlags(["node", "d", "--", "-v", "-vv"])).toEqual(["node", "d", "--", "-v", "-vv"])
    expect(foldVerboseFlags(["node", "d", "-v", "--", "-v"])).toEqual(["node", "d", "--verbose", "--", "-v"])
  })
})
