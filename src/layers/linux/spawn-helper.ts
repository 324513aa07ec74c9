/**
 * Tenders spawned by one long-lived `perl` process instead of by the daemon itself.
 *
 * Why: Node spawns with libuv, which on Linux forks the whole daemon (clone without CLONE_VM or
 * CLONE_VFORK) and blocks the event loop until the child has exec'd: 2-5 ms per create with a
 * 100 MB daemon, during which the state write running alongside the create (and every other
 * connection) waits. A small perl process forks in a fraction of that, and while it does, the
 * daemon's event loop is free. perl-base is Essential on Debian (the mkfifo helper relies on it
 * too); where the helper cannot start the caller falls back to Node's spawn.
 *
 * The helper is the tenders' parent, so it reaps them and reports how each ended; it also
 * delivers signals, so a signal can never reach a recycled pid (a pid is only reused after the
 * helper has reaped it, and it handles requests one at a time). When the daemon goes away the
 * helper's stdin ends and it exits without touching the tenders, as the daemon's own children
 * would have been left.
 *
 * Protocol, one line each way, fields separated by spaces, byte strings hex-encoded:
 * - `S <id> <fifo> <argv0> <argv1> ...`: open the FIFO (a non-blocking read end first, so the
 *   write-only open never blocks, as in `spawnWithFifo`), check that argv0 is an executable
 *   file (PATH search), fork, make the FIFO stdin, stdout and stderr, exec argv. Answer
 *   `P <id> <pid>` once forked, or `E <id> open|exec <errno>`.
 * - `T <pid> <signal number>`: kill(pid, signal) if pid is a child not yet reaped; no answer.
 * - unprompted: `X <pid> <code>` (exited) and `K <pid> <signal>` (killed by a signal); before
 *   the X of a child whose exec failed after all, `F <pid> <errno>`.
 *
 * Why the pid is announced at the fork, not once the exec succeeded: the exec of a forked child
 * first tears down the child's copy of perl, and waiting for that was 0.7 ms of every spawn here
 * (1-2 ms on a busy host), the longest step of a create. The executable check before the fork
 * makes the errors an exec can report (ENOENT, EACCES) answers to the request, as before; what
 * is left (the file removed in between, out of memory) ends the tender with exit code 127,
 * after an F line that is logged.
 */
import { readFileSync } from "node:fs"
import { constants as osConstants } from "node:os"
import type { ProcessExit } from "../../domain/process-exit.js"
import { HelperUnavailable } from "./mkfifo-helper.js"
import { keepAliveWhile, type PerlHelperProcess, startPerlHelper } from "./perl-helper.js"

// SIGCHLD wakes the main loop through a self-pipe: perl runs signal handlers between its own
// operations, so the handler's byte in the pipe makes the next select(2) return even when the
// child ended after the last reaping and before select was entered (a tender killed on request
// typically ends right then). The reaping loop runs after every wake-up. The short timeout
// while there are children only covers the few instructions between perl's last signal check
// and the select system call.
const SCRIPT = String.raw`
use strict; use POSIX (); use Fcntl;
my $in = ''; my %kids; my %status;
pipe(my $wake_r, my $wake_w) or die;
fcntl($_, F_SETFL, O_NONBLOCK) for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };
sub out { my $l = "$_[0]\n"; while (length $l) { my $n = syswrite(STDOUT, $l); if (!defined $n) { next if $!{EINTR}; exit 1 } substr($l, 0, $n) = '' } }
# the status pipe of a child is close-on-exec: end of file without data means the exec succeeded,
# four bytes are the errno of a failed one (the child has exited or is exiting, so this never waits long)
sub status {
  my $pid = shift;
  my $r = delete $status{$pid} // return;
  my $buf = '';
  for (;;) { my $n = sysread($r, $buf, 4 - length $buf, length $buf); last if defined $n && ($n == 0 || length $buf == 4); next if defined $n || $!{EINTR}; last }
  close $r;
  out("F $pid " . unpack('N', $buf)) if length $buf == 4;
}
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    delete $kids{$pid};
    status($pid);
    my $s = $?;
    out(($s & 127) ? "K $pid " . ($s & 127) : "X $pid " . ($s >> 8));
  }
}
# what execvp would fail with: 0 when argv0 names an executable file (itself, or found on PATH)
sub runnable { my $p = shift; return -e $p ? ((-f _ && -x _) ? 0 : 13) : 2 }
sub precheck {
  my $prog = shift;
  return runnable($prog) if index($prog, '/') >= 0;
  my $err = 2;
  for my $d (split(/:/, $ENV{PATH} // '/usr/bin:/bin', -1)) {
    my $e = runnable(($d eq '' ? '.' : $d) . "/$prog");
    return 0 if $e == 0;
    $err = 13 if $e == 13;
  }
  return $err;
}
sub spawn {
  my ($id, $fifo, @argv) = @_;
  return out("E $id exec 22") unless defined $fifo && @argv;
  sysopen(my $guard, $fifo, O_RDONLY | O_NONBLOCK) or return out("E $id open " . ($! + 0));
  sysopen(my $w, $fifo, O_WRONLY | O_APPEND) or return out("E $id open " . ($! + 0));
  my $err = precheck($argv[0]);
  return out("E $id exec $err") if $err;
  pipe(my $r, my $status) or return out("E $id exec " . ($! + 0));
  my $pid = fork();
  return out("E $id exec " . ($! + 0)) unless defined $pid;
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    close $r;
    POSIX::dup2(fileno($w), $_) for 0 .. 2;
    { no warnings; exec { $argv[0] } @argv; }
    syswrite($status, pack('N', $! + 0));
    POSIX::_exit(127);
  }
  close $status; close $w; close $guard;
  $kids{$pid} = 1;
  $status{$pid} = $r;
  out("P $id $pid");
}
for (;;) {
  reap();
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, fileno($status{$_}), 1) = 1 for keys %status;
  my $n = select(my $rout = $rin, undef, undef, %kids ? 0.1 : undef);
  next if $n <= 0;
  if (vec($rout, fileno($wake_r), 1)) { 1 while sysread($wake_r, my $drain, 512) }
  for my $pid (keys %status) { status($pid) if vec($rout, fileno($status{$pid}), 1) }
  next unless vec($rout, fileno(STDIN), 1);
  my $got = sysread(STDIN, $in, 65536, length $in);
  next if !defined $got && $!{EINTR};
  exit 0 unless $got;
  while ((my $nl = index($in, "\n")) >= 0) {
    my @f = split(/ /, substr($in, 0, $nl), -1);
    $in = substr($in, $nl + 1);
    my $op = shift(@f) // '';
    if ($op eq 'S') { my $id = shift @f; spawn($id, map { pack('H*', $_) } @f) }
    elsif ($op eq 'T') { my ($pid, $sig) = @f; kill($sig, $pid) if $kids{$pid} }
  }
}
`

/** The helper could not open the FIFO or exec the command; errno as the C library numbers it. */
export class SpawnRefused extends Error {
  constructor(
    readonly stage: "open" | "exec",
    readonly errno: number
  ) {
    super(`${stage} failed with errno ${errno}`)
  }
}

export interface HelperProcess {
  readonly pid: number
  /** Resolves once, with how the process ended. */
  readonly exit: Promise<ProcessExit>
  /** Delivered by the helper while the process is its unreaped child; never to a recycled pid. */
  readonly signal: (signal: "SIGTERM" | "SIGKILL") => void
}

export interface SpawnHelper {
  /** Rejects with SpawnRefused, or HelperUnavailable when the helper cannot be used (fall back). */
  readonly spawn: (argv: ReadonlyArray<string>, fifo: string) => Promise<HelperProcess>
  readonly close: () => void
  /** The helper process, once started (diagnostics and tests). */
  readonly pid: () => number | undefined
}

const hex = (s: string): string => Buffer.from(s, "utf8").toString("hex")

/** How often, once the helper is gone, the tenders it left are checked for (kill(pid, 0)). */
const ORPHAN_POLL_MS = 1000

/** Whether pid is a live process: not gone, and not a zombie its new parent has yet to reap. */
const exists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH"
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

interface Tracked {
  readonly argv: ReadonlyArray<string>
  readonly resolve: (exit: ProcessExit) => void
  ended: boolean
}

/**
 * `onOrphans` is told when the helper died with tenders still running: their exit statuses are
 * lost (they are no longer our grandchildren), so they are polled and reported as SIGKILL.
 * `onExecFailed` is told when a spawned process could not exec after all (it then exits 127).
 */
export const makeSpawnHelper = (
  perl = "perl",
  onOrphans: (pids: ReadonlyArray<number>) => void = () => {},
  onExecFailed: (argv: ReadonlyArray<string>, errno: number) => void = () => {}
): SpawnHelper => {
  let child: PerlHelperProcess | undefined
  let dead = false
  let nextId = 0
  const waiting = new Map<
    string,
    { readonly argv: ReadonlyArray<string>; readonly resolve: (p: HelperProcess) => void; readonly reject: (e: Error) => void }
  >()
  const tracked = new Map<number, Tracked>()

  const ended = (pid: number, exit: ProcessExit) => {
    const t = tracked.get(pid)
    // a pid we never announced is a child whose exec failed (already reported)
    if (t === undefined) return
    tracked.delete(pid)
    t.ended = true
    t.resolve(exit)
  }

  const pollOrphans = () => {
    const timer = setInterval(() => {
      for (const pid of [...tracked.keys()]) {
        if (!exists(pid)) ended(pid, { _tag: "Signal", signal: osConstants.signals.SIGKILL })
      }
      if (tracked.size === 0) clearInterval(timer)
    }, ORPHAN_POLL_MS)
  }

  const die = () => {
    if (dead) return
    dead = true
    for (const w of waiting.values()) w.reject(new HelperUnavailable("spawn helper gone"))
    waiting.clear()
    child?.kill()
    if (tracked.size > 0) {
      onOrphans([...tracked.keys()])
      pollOrphans()
    }
  }

  const onLine = (line: string) => {
    const [op, a, b, c] = line.split(" ")
    if (op === "P" && a !== undefined && b !== undefined) {
      const w = waiting.get(a)
      waiting.delete(a)
      const pid = Number(b)
      let resolve: (exit: ProcessExit) => void = () => {}
      const exit = new Promise<ProcessExit>((r) => (resolve = r))
      const t: Tracked = { argv: w?.argv ?? [], resolve, ended: false }
      tracked.set(pid, t)
      w?.resolve({
        pid,
        exit,
        signal: (signal) => {
          if (t.ended) return
          if (!dead) return void child?.stdin.write(`T ${pid} ${osConstants.signals[signal]}\n`)
          try {
            process.kill(pid, signal)
          } catch {
            // gone already
          }
        }
      })
    } else if (op === "E" && a !== undefined && (b === "open" || b === "exec") && c !== undefined) {
      const w = waiting.get(a)
      waiting.delete(a)
      w?.reject(new SpawnRefused(b, Number(c)))
    } else if (op === "F" && a !== undefined && b !== undefined) {
      const t = tracked.get(Number(a))
      if (t !== undefined) onExecFailed(t.argv, Number(b))
    } else if (op === "X" && a !== undefined && b !== undefined) ended(Number(a), { _tag: "Exit", code: Number(b) })
    else if (op === "K" && a !== undefined && b !== undefined) ended(Number(a), { _tag: "Signal", signal: Number(b) })
    else die()
    refresh()
  }

  const start = () => {
    child = startPerlHelper(perl, SCRIPT, onLine, die)
    refresh()
  }

  const refresh = () => keepAliveWhile(child, waiting.size > 0)

  // started at once, so the first create does not wait for perl to start
  start()
  return {
    spawn: (argv, fifo) =>
      new Promise<HelperProcess>((resolve, reject) => {
        if (dead || child === undefined) return reject(new HelperUnavailable("spawn helper gone"))
        // a NUL cannot be passed to exec; as Node's spawn would, refuse it here
        if (fifo.includes("\0") || argv.some((a) => a.includes("\0"))) return reject(new SpawnRefused("exec", 22 /* EINVAL */))
        const id = String(nextId++)
        waiting.set(id, { argv, resolve, reject })
        refresh()
        child.stdin.write(`S ${id} ${hex(fifo)} ${argv.map(hex).join(" ")}\n`)
      }),
    close: () => {
      if (dead) return
      dead = true
      for (const w of waiting.values()) w.reject(new HelperUnavailable("spawn helper closed"))
      waiting.clear()
      // stdin's end makes the helper exit; tenders still running are left alone
      child?.stdin.end()
    },
    pid: () => child?.pid
  }
}
