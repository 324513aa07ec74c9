/** What a command handler produces: a success payload or a failure text (sent as `Failure`). */
import type { Success } from "../../domain/reply.js"

export type Outcome = { readonly _tag: "Ok"; readonly success: Success } | { readonly _tag: "Err"; readonly message: string }

export const ok = (success: Success): Outcome => ({ _tag: "Ok", success })
export const okString = (message: string): Outcome => ok({ _tag: "String", message })
export const err = (message: string): Outcome => ({ _tag: "Err", message })

export const isOutcome = (x: unknown): x is Outcome =>
  typeof x === "object" && x !== null && "_tag" in x && (x._tag === "Ok" || x._tag === "Err")
