/** The behaviour tables recorded from the OCaml albatross drive these tests (../shared/vectors). */
import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { commandFromJson, configFromJson, failBehaviourFromJson, type Json, policyFromJson } from "../support/vector-values.js"
import { commandText, endpointOf } from "../../src/domain/endpoint.js"

const vectors = path.resolve(__dirname, "../../../shared/vectors")
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (file: string): ReadonlyArray<Record<string, any>> =>
  JSON.parse(fs.readFileSync(path.join(vectors, file), "utf8"))

const asResult = (e: Either.Either<unknown, string>) => (Either.isRight(e) ? { ok: true } : { ok: false, error: e.left })

describe("endpoints.json", () => {
  it.each(load("endpoints.json").map((r) => [r.pp, r]))("%s", (_, r) => {
    const command = commandFromJson(r.command as Json)
    expect(endpointOf(command)).toEqual({ service: r.service, mode: r.mode })
    // the reference's Format boxes break long texts over lines; ours stay on one (logs only)
    expect(commandText(command)).toBe(String(r.pp).replace(/\n/g, " "))
  })
})
