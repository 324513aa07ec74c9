/** What happens after a tender exits (spec §2.4, §2.5). Pure. */
import type { ProcessExit } from "../../domain/process-exit.js"
import { shouldRestart } from "../../domain/restart.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"

export type Decision =
  /** Spec §2.5: an injected `--name` was refused; run again without it, and persist that. */
  | { readonly _tag: "RetryWithoutName" }
  | { readonly _tag: "Restart" }
  | { readonly _tag: "Stop" }

export const decide = (config: UnikernelConfig, exit: ProcessExit): Decision => {
  if (config.addName && exit._tag === "Exit" && exit.code === 64) return { _tag: "RetryWithoutName" }
  if (shouldRestart(config.failBehaviour, exit)) return { _tag: "Restart" }
  return { _tag: "Stop" }
}

export const describeExit = (exit: ProcessExit): string =>
  exit._tag === "Exit" ? `exit ${exit.code}` : exit._tag === "Signal" ? `signal ${exit.signal}` : `stop ${exit.signal}`
