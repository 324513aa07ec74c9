/** Retry delays: start short so a restarted peer is picked up quickly, cap at the reference's 5 s. */
import { Duration } from "effect"

export const INITIAL_DELAY_MS = 250
export const MAX_DELAY_MS = 5000

export const nextDelay = (previousMs: number | undefined): number =>
  previousMs === undefined ? INITIAL_DELAY_MS : Math.min(MAX_DELAY_MS, previousMs * 2)

export const millis = (ms: number) => Duration.millis(ms)
