/** shouldRestart against should-restart.json (spec §2.4). */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ProcessExit } from "../../src/domain/process-exit.js"
import { shouldRestart } from "../../src/domain/restart.js"
import type { FailBehaviour } from "../../src/domain/unikernel.js"
import { failBehaviourFromJson, type Json } from "../support/vector-values.js"
import { loadRows } from "./vector-files.js"

interface RestartRow {
  readonly fail_behaviour: Json
  readonly process_exit: { readonly exit?: number; readonly signal?: number; readonly stop?: number }
  readonly restart_handler: boolean
  readonly result: boolean | { readonly exception: string }
}

const exitOf = (j: RestartRow["process_exit"]): ProcessExit =>
  j.exit !== undefined
    ? { _tag: "Exit", code: j.exit }
    : j.signal !== undefined
      ? { _tag: "Signal", signal: j.signal }
      : { _tag: "Stop", signal: j.stop! }

const rows = loadRows<RestartRow>("should-restart.json")

describe("should-restart.json", () => {
  const answered = rows.filter((r) => typeof r.result === "boolean")
  const raised = rows.filter((r) => typeof r.result !== "boolean")

  it.each(answered.map((r) => [JSON.stringify(r.fail_behaviour), JSON.stringify(r.process_exit), r] as const))(
    "%s %s",
    (_, __, r) => {
      expect(shouldRestart(failBehaviourFromJson(r.fail_behaviour), exitOf(r.process_exit))).toBe(r.result)
    }
  )

  // the reference asserts false for `quit` (albatrossd never asks then); ours answers false
  it.each(raised.map((r) => [JSON.stringify(r.fail_behaviour), JSON.stringify(r.process_exit), r] as const))(
    "%s %s (reference raises): false",
    (_, __, r) => {
      expect(failBehaviourFromJson(r.fail_behaviour)._tag).toBe("Quit")
      expect(shouldRestart(failBehaviourFromJson(r.fail_behaviour), exitOf(r.process_exit))).toBe(false)
    }
  )

  it("covers the 4 x 18 table, 7 rows of which raise in the reference", () => {
    expect(rows.length).toBe(72)
    expect(raised.length).toBe(7)
    // the reference calls it only when a restart handler exists, i.e. for `restart`
    for (const r of rows) expect(r.restart_handler).toBe(failBehaviourFromJson(r.fail_behaviour)._tag === "Restart")
  })
})

describe("shouldRestart properties", () => {
  const behaviour: fc.Arbitrary<FailBehaviour> = fc.oneof(
    fc.constant<FailBehaviour>({ _tag: "Quit" }),
    fc
      .option(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }), { nil: null })
      .map((exitCodes): FailBehaviour => ({ _tag: "Restart", exitCodes }))
  )
  it("signals, stops, quit, 1 and 60-64 never restart; otherwise listed codes (or all) do", () => {
    fc.assert(
      fc.property(behaviour, fc.integer({ min: -1, max: 300 }), (b, code) => {
        expect(shouldRestart(b, { _tag: "Signal", signal: code })).toBe(false)
        expect(shouldRestart(b, { _tag: "Stop", signal: code })).toBe(false)
        const want =
          b._tag === "Restart" &&
          code !== 1 &&
          !(code >= 60 && code <= 64) &&
          (b.exitCodes === null || b.exitCodes.includes(code))
        expect(shouldRestart(b, { _tag: "Exit", code })).toBe(want)
      })
    )
  })
})
