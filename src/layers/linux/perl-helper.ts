/**
 * A long-lived `perl -e SCRIPT` child that answers in lines on its stdout: what the mkfifo and
 * spawn helpers of albatrossd have in common (mkfifo-helper.ts, spawn-helper.ts say why each
 * exists). Errors, an exit, or a broken stdin all mean the helper is gone.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process"
import type { Readable, Writable } from "node:stream"

export type PerlHelperProcess = ChildProcessByStdio<Writable, Readable, null>

export const startPerlHelper = (
  perl: string,
  script: string,
  onLine: (line: string) => void,
  onGone: () => void
): PerlHelperProcess => {
  const c = spawn(perl, ["-e", script], { stdio: ["pipe", "pipe", "ignore"] })
  c.on("error", onGone)
  c.on("exit", onGone)
  c.stdin.on("error", onGone)
  c.stdout.setEncoding("utf8")
  let buffered = ""
  c.stdout.on("data", (chunk: string) => {
    buffered += chunk
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      onLine(line)
    }
  })
  return c
}

type Refable = { ref?: () => void; unref?: () => void }

/**
 * An idle helper must not keep the daemon's process alive; one with a request in flight must
 * (the daemon's own handles keep it alive otherwise).
 */
export const keepAliveWhile = (child: PerlHelperProcess | undefined, busy: boolean): void => {
  if (child === undefined) return
  for (const s of [child, child.stdout, child.stdin] as Array<Refable>) (busy ? s.ref : s.unref)?.call(s)
}
