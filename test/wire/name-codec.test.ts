/** The wire's name parser agrees with `Name.fromString` on every input of names.json. */
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { Fault } from "../../src/wire/der/fault.js"
import { parseWireName } from "../../src/wire/grammar/common.js"
import { vectorFile } from "../support/vectors-dir.js"

const names: ReadonlyArray<{ input: string | { hex: string } }> = JSON.parse(
  readFileSync(vectorFile("names.json"), "utf8")
)

describe("parseWireName = Name.fromString", () => {
  for (const { input } of names) {
    const s = typeof input === "string" ? input : Buffer.from(input.hex, "hex").toString("utf8")
    it(JSON.stringify(s), () => {
      const expected = Name.fromString(s)
      let got: Either.Either<Name, string>
      try {
        got = Either.right(parseWireName(s))
      } catch (e) {
        if (!(e instanceof Fault)) throw e
        got = Either.left(e.reason)
      }
      expect(got).toEqual(expected)
    })
  }
})
