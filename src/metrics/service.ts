/**
 * The daemon's self-metrics registry as an Effect service (spec §9.3). It is a reference with a
 * default: a disabled registry, so daemon code and tests that do not provide one need nothing;
 * `--influx` provides an enabled registry together with the reporter (reporter.ts).
 */
import { Context } from "effect"
import { MetricsRegistry } from "./registry.js"

export class SelfMetrics extends Context.Reference<SelfMetrics>()("albatross/SelfMetrics", {
  defaultValue: (): MetricsRegistry => new MetricsRegistry(false)
}) {}
