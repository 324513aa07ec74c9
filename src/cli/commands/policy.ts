/** `policy`, `add-policy` / `replace-policy`, `remove-policy` (spec §11.2). */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import type { Policy } from "../../domain/policy.js"
import { usable } from "../../domain/policy-rules.js"
import { error, warn } from "../client-env.js"
import { destinationOptions, resolveDestination } from "../destination.js"
import { ExitCode } from "../exit-code.js"
import { runHandler, sendCommand } from "../handler.js"
import { intSet, isSet, pathArg, pathOption, repeatedIntegers, stringSet } from "../options.js"
import { execute } from "../session.js"

export const policyCommand = Command.make("policy", { path: pathOption, ...destinationOptions }, (a) =>
  sendCommand(a, a.path, { _tag: "PolicyInfo" })
).pipe(Command.withDescription("Show active policies."))

/** [QUIRK] kept: without `--path` this removes the root policy. */
export const removePolicyCommand = Command.make("remove-policy", { path: pathOption, ...destinationOptions }, (a) =>
  sendCommand(a, a.path, { _tag: "PolicyRemove" })
).pipe(Command.withDescription("Removes a policy."))

const addPolicyConfig = {
  path: pathArg,
  unikernels: Args.integer({ name: "UNIKERNELS" }).pipe(
    Args.withDescription("Number of unikernels to allow running at the same time")
  ),
  mem: Options.integer("mem").pipe(Options.withDescription("Memory to allow (in MB)"), Options.withDefault(512)),
  cpu: repeatedIntegers("cpu", "CPUid to allow for this policy (may be repeated; default 0)"),
  size: Options.integer("size").pipe(
    Options.withAlias("block"),
    Options.withDescription("Block storage to allow (in MB)"),
    Options.optional
  ),
  bridge: Options.text("bridge").pipe(
    Options.withAlias("network"),
    Options.withDescription("Bridge name to allow (may be repeated)"),
    Options.repeated
  ),
  ...destinationOptions
}

const addPolicy = (a: Command.Command.ParseConfig<typeof addPolicyConfig>) =>
  runHandler(
    a.json,
    Effect.gen(function* () {
      const cpus = a.cpu.length === 0 ? [0] : a.cpu
      const policy: Policy = {
        unikernels: BigInt(a.unikernels),
        cpuids: intSet(cpus),
        memory: a.mem,
        block: Option.getOrNull(a.size),
        bridges: stringSet(a.bridge)
      }
      if (!isSet(a.bridge)) yield* warn("Bridges is not a set")
      if (!isSet(cpus)) yield* warn("CPUids is not a set")
      const check = usable(policy)
      if (Either.isLeft(check)) {
        yield* error(check.left)
        return ExitCode.cliError
      }
      if (policy.bridges.length === 0) yield* warn("policy without any network access")
      const destination = yield* resolveDestination(a)
      return yield* execute(destination, a.path, { _tag: "PolicyAdd", policy })
    })
  )

export const addPolicyCommand = Command.make("add-policy", addPolicyConfig, addPolicy).pipe(
  Command.withDescription("Add or replace a policy.")
)

export const replacePolicyCommand = Command.make("replace-policy", addPolicyConfig, addPolicy).pipe(
  Command.withDescription("Add or replace a policy (alias of add-policy).")
)

export const policyCommands = [policyCommand, removePolicyCommand, addPolicyCommand, replacePolicyCommand] as const
