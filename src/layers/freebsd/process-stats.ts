/**
 * FreeBSD process figures through `procstat -r` and `ps` (spec §8.3). The reference reads
 * kinfo_proc with sysctl(3), which Node cannot call; these two base-system tools print the
 * same kernel figures. A process that is not visible (security.bsd.see_other_uids/gids)
 * makes both fail, and the hint of the reference is logged once.
 */
import { Effect, Either, Layer } from "effect"
import { ProcessStats, ProcessStatsError, type ProcessWatch } from "../../services/process-stats.js"
import { parseProcstatRusage, parsePsKinfo } from "./process-stats-parse.js"
import { runTool } from "./process-stats-tool.js"

const HINT =
  "HINT: Is the process visible? Are sysctls 'security.bsd.see_other_uids' and 'security.bsd.see_other_gids' enabled (set to 1)?"

export const freebsdProcessStatsLayer: Layer.Layer<ProcessStats> = Layer.effect(
  ProcessStats,
  Effect.gen(function* () {
    const pageSize = yield* runTool("sysctl", ["-n", "hw.pagesize"]).pipe(
      Effect.map((s) => Number.parseInt(s.trim(), 10)),
      Effect.map((n) => (Number.isSafeInteger(n) && n > 0 ? n : 4096)),
      Effect.orElseSucceed(() => 4096)
    )
    let hinted = false
    const sample = (pid: number) =>
      Effect.gen(function* () {
        const [procstat, ps] = yield* Effect.all(
          [
            runTool("procstat", ["-r", String(pid)]),
            runTool("ps", ["-ww", "-p", String(pid), "-o", "vsz=", "-o", "rss=", "-o", "tsiz=", "-o", "dsiz=", "-o", "ssiz=", "-o", "cow=", "-o", "lstart="])
          ],
          { concurrency: 2 }
        )
        const rusage = parseProcstatRusage(procstat, pid)
        if (Either.isLeft(rusage)) return yield* Effect.fail(rusage.left)
        const kinfo = parsePsKinfo(ps, rusage.right, pageSize)
        if (Either.isLeft(kinfo)) return yield* Effect.fail(kinfo.left)
        return { rusage: rusage.right, kinfoMem: kinfo.right }
      }).pipe(
        Effect.tapError(() =>
          hinted
            ? Effect.void
            : Effect.sync(() => {
                hinted = true
              }).pipe(Effect.zipRight(Effect.logError(HINT)))
        ),
        Effect.mapError((message) => new ProcessStatsError({ pid, message }))
      )
    return ProcessStats.of({
      watch: (pid) =>
        Number.isSafeInteger(pid) && pid > 0
          ? Effect.succeed<ProcessWatch>({ pid, sample: sample(pid), close: Effect.void })
          : Effect.fail(new ProcessStatsError({ pid, message: `invalid pid ${pid}` }))
    })
  })
)
