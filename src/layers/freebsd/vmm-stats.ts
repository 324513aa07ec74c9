/**
 * bhyve VMM counters through `bhyvectl --vm=<name> --get-stats` (spec §8.3): the reference
 * links libvmmapi, which Node cannot; bhyvectl prints the same vm_get_stats list for vCPU 0.
 * `open` checks that /dev/vmm/<name> is readable and writable, as vm_open needs.
 */
import * as fs from "node:fs"
import { Effect, Either, Layer } from "effect"
import { VmmStats, VmmStatsError } from "../../services/vmm-stats.js"
import { runTool } from "./process-stats-tool.js"
import { parseBhyvectlStats } from "./vmm-stats-parse.js"

export const freebsdVmmStatsLayer = (devRoot = "/dev/vmm"): Layer.Layer<VmmStats> =>
  Layer.succeed(
    VmmStats,
    VmmStats.of({
      open: (vmmdev) =>
        Effect.gen(function* () {
          if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(vmmdev))
            return yield* new VmmStatsError({ vmmdev, message: `invalid vmm device name ${JSON.stringify(vmmdev)}` })
          yield* Effect.try({
            try: () => fs.accessSync(`${devRoot}/${vmmdev}`, fs.constants.R_OK | fs.constants.W_OK),
            catch: (e) => new VmmStatsError({ vmmdev, message: `vm_open ${vmmdev}: ${(e as Error).message}` })
          })
          const sample = runTool("bhyvectl", [`--vm=${vmmdev}`, "--get-stats"]).pipe(
            Effect.flatMap((out) => {
              const stats = parseBhyvectlStats(out)
              return Either.isRight(stats) ? Effect.succeed(stats.right) : Effect.fail(stats.left)
            }),
            Effect.mapError((message) => new VmmStatsError({ vmmdev, message }))
          )
          return { vmmdev, sample, close: Effect.void }
        })
    })
  )
