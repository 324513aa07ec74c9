/**
 * A progress bar on stderr for long transfers (uploads, dumps), only when stderr is a
 * terminal and the transfer is past a few megabytes: scripts and small transfers see nothing.
 */
import type { ClientEnvShape } from "./client-env.js"

const THRESHOLD = 4 * 1024 * 1024
const REDRAW_MS = 100
const WIDTH = 30

export interface Progress {
  readonly advance: (bytes: number) => void
  readonly done: () => void
}

const mb = (n: number): string => (n / (1024 * 1024)).toFixed(1)

export const makeProgress = (env: ClientEnvShape, label: string, total: number | undefined): Progress => {
  if (!env.stderrIsTTY) return { advance: () => {}, done: () => {} }
  let seen = 0
  let drawn = false
  let last = 0
  const draw = () => {
    const line =
      total !== undefined && total > 0
        ? (() => {
            const ratio = Math.min(1, seen / total)
            const filled = Math.round(ratio * WIDTH)
            return `${label} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${mb(seen)}/${mb(total)} MB`
          })()
        : `${label} ${mb(seen)} MB`
    env.writeStderr(`\r${line}\x1b[K`)
    drawn = true
  }
  return {
    advance: (bytes) => {
      seen += bytes
      const big = total !== undefined ? total >= THRESHOLD : seen >= THRESHOLD
      if (!big) return
      const now = Date.now()
      if (now - last >= REDRAW_MS) {
        last = now
        draw()
      }
    },
    done: () => {
      if (!drawn) return
      draw()
      env.writeStderr("\n")
    }
  }
}
