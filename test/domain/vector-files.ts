/**
 * Reads the behaviour tables recorded from the OCaml albatross (../shared/vectors, never copied
 * into the repo). Each suite declares the shape of its rows; the README of the vectors documents them.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

export const vectorDir = sharedVectorsDir

export const loadRows = <Row>(file: string): ReadonlyArray<Row> => {
  const rows: unknown = JSON.parse(fs.readFileSync(path.join(vectorDir, file), "utf8"))
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${file}: expected a non-empty array of rows`)
  return rows as ReadonlyArray<Row>
}

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly error: string }

/** The `{ok: true} | {ok: false, error}` shape the tables use for a check's result. */
export const asResult = (e: Either.Either<unknown, string>): CheckResult =>
  Either.isRight(e) ? { ok: true } : { ok: false, error: e.left }
