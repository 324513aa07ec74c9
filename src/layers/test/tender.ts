/**
 * Deterministic Tender: no processes. Every spawn is recorded with its argv and FIFO and gets
 * a fresh pid; the test ends a process with `exit(pid, ...)`. SIGTERM (terminate) ends it the
 * way solo5-hvt does (`Exit 1`) unless `onTerminate` says otherwise.
 */
import { Deferred, Effect, Exit, Layer } from "effect"
import type { ProcessExit } from "../../domain/process-exit.js"
import { Tender, TenderError, type BhyveBoot, type TenderService } from "../../services/tender.js"

export interface SpawnedProcess {
  readonly pid: number
  readonly argv: ReadonlyArray<string>
  readonly fifo: string
  readonly started: Date
  readonly exit: Deferred.Deferred<ProcessExit>
  terminated: boolean
  ended: ProcessExit | undefined
}

const end = (p: SpawnedProcess, exit: ProcessExit): void => {
  if (p.ended !== undefined) return
  p.ended = exit
  Deferred.unsafeDone(p.exit, Exit.succeed(exit))
}

export class TestTenders {
  private nextPid = 1000
  /** Every spawn, in order. */
  readonly spawned: Array<SpawnedProcess> = []
  readonly bhyveBoots: Array<BhyveBoot> = []
  readonly bhyveDestroyed: Array<string> = []
  /** `lookup` answer: a tender path, or a failure message; `undefined` = `solo5-<target>`. */
  lookupResult: { readonly tender: string } | { readonly error: string } | undefined = undefined
  /** Every lookup, in order. */
  readonly lookups: Array<{ readonly target: "hvt" | "spt"; readonly abi: number }> = []
  /** When set, spawn fails with this message. */
  failSpawn: string | undefined = undefined
  /** How a terminated process ends; `null` = it ignores SIGTERM. */
  onTerminate: ProcessExit | null = { _tag: "Exit", code: 1 }
  /** Clock for `started` (tests pass TestClock-derived dates). */
  now: () => Date = () => new Date(0)

  running(): ReadonlyArray<SpawnedProcess> {
    return this.spawned.filter((p) => p.ended === undefined)
  }

  byPid(pid: number): SpawnedProcess {
    const p = this.spawned.find((s) => s.pid === pid)
    if (p === undefined) throw new Error(`no test process with pid ${pid}`)
    return p
  }

  /** Ends a process (no effect if it already ended). */
  exit(pid: number, exit: ProcessExit): void {
    end(this.byPid(pid), exit)
  }

  readonly service: TenderService = {
    lookup: (target, abi) =>
      Effect.suspend(() => {
        this.lookups.push({ target, abi })
        const r = this.lookupResult
        if (r === undefined) return Effect.succeed(`solo5-${target}`)
        return "error" in r ? Effect.fail(new TenderError({ message: r.error })) : Effect.succeed(r.tender)
      }),
    bootBhyve: (boot) => Effect.sync(() => void this.bhyveBoots.push(boot)),
    destroyBhyve: (vm) => Effect.sync(() => void this.bhyveDestroyed.push(vm)),
    spawn: (argv, fifo) =>
      Effect.gen(this, function* () {
        if (this.failSpawn !== undefined) {
          return yield* new TenderError({ message: `cmd ${argv.join(" ")} exits: ${this.failSpawn}` })
        }
        const exit = yield* Deferred.make<ProcessExit>()
        const proc: SpawnedProcess = { pid: this.nextPid++, argv, fifo, started: this.now(), exit, terminated: false, ended: undefined }
        this.spawned.push(proc)
        return {
          pid: proc.pid,
          started: proc.started,
          exit: Deferred.await(exit),
          terminate: Effect.sync(() => {
            proc.terminated = true
            if (this.onTerminate !== null) end(proc, this.onTerminate)
          }),
          kill: Effect.sync(() => {
            proc.terminated = true
            end(proc, { _tag: "Signal", signal: 9 })
          })
        }
      })
  }

  readonly layer: Layer.Layer<Tender> = Layer.succeed(Tender, this.service)
}
