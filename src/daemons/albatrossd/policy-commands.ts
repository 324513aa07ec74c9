/** Policy_add / Policy_remove / Policy_info (spec §4.4, §3.3). */
import { Effect } from "effect"
import { Name } from "../../domain/name.js"
import type { Policy } from "../../domain/policy.js"
import { policyEquals } from "./accounting.js"
import { type Daemon, dumpState, locked } from "./daemon.js"
import { err, ok, okString, type Outcome } from "./outcome.js"

export const policyAdd = (d: Daemon, name: Name, policy: Policy): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      if (name.label !== null) yield* Effect.logWarning(`policy add: ignoring label ${name.label} of ${name.toString()}`)
      const path = name.path
      const existing = d.acc.policyAt(path)
      if (existing !== undefined && policyEquals(existing, policy)) return okString("no modification of policy")
      const refused = d.acc.insertPolicy(path, policy)
      if (refused !== undefined) return err(refused)
      yield* dumpState(d)
      return okString("added policy")
    })
  )

export const policyRemove = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  locked(
    d,
    Effect.gen(function* () {
      const refused = d.acc.removePolicy(name.path)
      if (refused !== undefined) return err(refused)
      yield* dumpState(d)
      return okString("removed policy")
    })
  )

export const policyInfo = (d: Daemon, name: Name): Effect.Effect<Outcome> =>
  Effect.sync(() => {
    const entries = d.acc.policyEntries()
    const policies = d.acc.list(entries, name.dropLabel()).map(({ rel, value }) => ({ name: rel, policy: value.policy }))
    return ok({ _tag: "Policies", policies })
  })
