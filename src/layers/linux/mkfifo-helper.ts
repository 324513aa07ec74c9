/**
 * mkfifo(2) without a process per FIFO: one long-lived `perl` (POSIX::mkfifo) started with the
 * layer and kept for the daemon's life.
 *
 * Why: Node has no mkfifo binding, and running the `mkfifo` utility costs a fork+exec per
 * create (about 11 ms of a 25 ms create in the albatrossd bench, more as the daemon's RSS grows
 * since libuv forks the whole process). perl-base is Essential on Debian and in every common
 * Linux base image; where perl is absent (a minimal FreeBSD) the helper fails to start and the
 * caller falls back to the `mkfifo` utility. A native addon would need a compiler at install time.
 *
 * Protocol: the daemon writes NUL-terminated paths; the helper answers one line per path, in
 * order: `0` on success, else the errno number (mapped to the C library's text here, as the
 * utility would print it). The helper runs with umask 0, so the FIFO gets exactly 0640 (the
 * reference lowers its umask around mkfifo(2) for the same reason).
 */
import { getSystemErrorMap } from "node:util"
import { errnoText } from "./errno-text.js"
import { keepAliveWhile, type PerlHelperProcess, startPerlHelper } from "./perl-helper.js"

const SCRIPT = [
  "use POSIX ();",
  "umask 0;",
  '$/ = "\\0";',
  "$| = 1;",
  "while (defined(my $p = <STDIN>)) {",
  "  chop $p;",
  '  print(POSIX::mkfifo($p, 0640) ? "0\\n" : ($! + 0) . "\\n");',
  "}"
].join(" ")

/** The helper is gone (never started, or died): the caller should use the fallback. */
export class HelperUnavailable extends Error {}

/** C library text of an errno number, as the utility would print it. */
export const errnoNumberText = (n: number): string => {
  const code = getSystemErrorMap().get(-n)?.[0]
  return code === undefined ? `errno ${n}` : errnoText({ code })
}

type Reply = (r: { readonly errno: number } | HelperUnavailable) => void

export interface MkfifoHelper {
  /** errno 0 on success; rejects with HelperUnavailable when the helper cannot be used. */
  readonly mkfifo: (path: string) => Promise<number>
  readonly close: () => void
}

export const makeMkfifoHelper = (perl = "perl"): MkfifoHelper => {
  let child: PerlHelperProcess | undefined
  let dead = false
  const waiting: Array<Reply> = []

  const die = () => {
    if (dead) return
    dead = true
    for (const reply of waiting.splice(0)) reply(new HelperUnavailable("mkfifo helper gone"))
    child?.kill()
  }

  const start = () => {
    child = startPerlHelper(
      perl,
      SCRIPT,
      (line) => {
        if (dead) return
        const reply = waiting.shift()
        if (reply === undefined || !/^[0-9]+$/.test(line)) return die()
        reply({ errno: Number(line) })
        if (waiting.length === 0) keepAliveWhile(child, false)
      },
      die
    )
    keepAliveWhile(child, false)
  }

  // started at once, so the first create does not wait for perl to start
  start()
  return {
    mkfifo: (path) =>
      new Promise<number>((resolve, reject) => {
        if (dead || child === undefined) return reject(new HelperUnavailable("mkfifo helper gone"))
        if (path.includes("\0")) return resolve(22 /* EINVAL */)
        if (waiting.length === 0) keepAliveWhile(child, true)
        waiting.push((r) => (r instanceof HelperUnavailable ? reject(r) : resolve(r.errno)))
        child.stdin.write(`${path}\0`)
      }),
    close: () => {
      dead = true
      for (const reply of waiting.splice(0)) reply(new HelperUnavailable("mkfifo helper closed"))
      child?.stdin.end()
    }
  }
}
