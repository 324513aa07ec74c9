/** Whether a unikernel that ended is started again (spec §2.4). */
import type { ProcessExit } from "./process-exit.js"
import type { FailBehaviour } from "./unikernel.js"

/** Exit codes that never restart: 1 is a Solo5 tender error, 60-64 are reserved by functoria. */
const NEVER_RESTART = new Set([1, 60, 61, 62, 63, 64])

/**
 * The reference evaluates this only for `Restart` and asserts otherwise; for `Quit` we
 * answer false, which is what a quit behaviour means.
 */
export const shouldRestart = (behaviour: FailBehaviour, exit: ProcessExit): boolean => {
  if (behaviour._tag === "Quit") return false
  if (exit._tag !== "Exit") return false
  if (NEVER_RESTART.has(exit.code)) return false
  return behaviour.exitCodes === null || behaviour.exitCodes.includes(exit.code)
}
