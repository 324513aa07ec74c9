/**
 * Linux process figures from /proc/<pid>/{stat,statm,status} (spec §8.3), with the
 * descriptors held open for the life of the registration (see process-stats-kernel-file.ts).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { Effect, Either, Layer } from "effect"
import { ProcessStats, ProcessStatsError, type ProcessWatch } from "../../services/process-stats.js"
import { linuxProcessSample, parseStat, parseStatm, parseStatus } from "./process-stats-parse.js"
import { errorText, KernelFile } from "./process-stats-kernel-file.js"

/** `getconf CLK_TCK`, asked once; 100 (the value on every mainstream Linux) when unavailable. */
export const clockTicks: Effect.Effect<number> = Effect.sync(() => {
  try {
    const n = Number.parseInt(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5000 }).trim(), 10)
    return Number.isSafeInteger(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
})

export const makeLinuxProcessWatch = (procRoot: string, pid: number, clockTick: number): ProcessWatch => {
  const dir = `${procRoot}/${pid}`
  const opened: Array<KernelFile> = []
  let dirFd = -1
  let startNs = 0n
  const close = () => {
    for (const f of opened) f.close()
    opened.length = 0
    if (dirFd >= 0) {
      try {
        fs.closeSync(dirFd)
      } catch {
        // read-only descriptor
      }
      dirFd = -1
    }
  }
  let stat: KernelFile, statm: KernelFile, status: KernelFile
  try {
    dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
    stat = KernelFile.open(`${dir}/stat`)
    opened.push(stat)
    statm = KernelFile.open(`${dir}/statm`)
    opened.push(statm)
    status = KernelFile.open(`${dir}/status`)
    opened.push(status)
  } catch (e) {
    close()
    throw new ProcessStatsError({ pid, message: `failed to open ${dir}: ${errorText(e)}` })
  }
  // the ctime of /proc/<pid>: read once, as the open descriptor pins the inode it belongs to
  try {
    startNs = fs.fstatSync(dirFd, { bigint: true }).ctimeNs
  } catch (e) {
    close()
    throw new ProcessStatsError({ pid, message: `failed to stat ${dir}: ${errorText(e)}` })
  }
  return {
    pid,
    sample: Effect.suspend(() => {
      if (dirFd < 0) return Effect.fail(new ProcessStatsError({ pid, message: "watch closed" }))
      // each file is parsed straight from the shared buffer, before the next read reuses it
      try {
        const s = parseStat(KernelFile.buffer, stat.readBytes())
        if (Either.isLeft(s)) return Effect.fail(new ProcessStatsError({ pid, message: `${s.left} (${dir})` }))
        const m = parseStatm(KernelFile.buffer, statm.readBytes())
        if (Either.isLeft(m)) return Effect.fail(new ProcessStatsError({ pid, message: `${m.left} (${dir})` }))
        const st = parseStatus(KernelFile.buffer, status.readBytes())
        if (Either.isLeft(st)) return Effect.fail(new ProcessStatsError({ pid, message: `${st.left} (${dir})` }))
        return Effect.succeed(linuxProcessSample(s.right, m.right, st.right, startNs, clockTick))
      } catch (e) {
        return Effect.fail(new ProcessStatsError({ pid, message: `error reading ${dir}: ${errorText(e)}` }))
      }
    }),
    close: Effect.sync(close)
  }
}

/** `procRoot` is only ever changed by tests. */
export const linuxProcessStatsLayer = (procRoot = "/proc"): Layer.Layer<ProcessStats> =>
  Layer.effect(
    ProcessStats,
    Effect.map(clockTicks, (clockTick) =>
      ProcessStats.of({
        watch: (pid) =>
          Number.isSafeInteger(pid) && pid > 0
            ? Effect.try({
                try: () => makeLinuxProcessWatch(procRoot, pid, clockTick),
                catch: (e) =>
                  e instanceof ProcessStatsError ? e : new ProcessStatsError({ pid, message: errorText(e) })
              })
            : Effect.fail(new ProcessStatsError({ pid, message: `invalid pid ${pid}` }))
      })
    )
  )
