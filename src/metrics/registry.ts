/**
 * The metric sources of one daemon and the last value each reported (metrics' `cache_reporter`):
 * a source reports a measurement for a set of tags, replacing the earlier one with the same
 * tags. Event sources (connections, policies, unikernels) report when something changes;
 * polled sources (rusage, kinfo_mem, logs) are read by `collect` before every report.
 *
 * When disabled (no `--influx`) nothing is stored and the field thunks are never evaluated.
 *
 * A batch lists the sources in the reference's order (by `order`, then the later registered
 * first, as the OCaml reporter folds its uid-ordered map onto a list), each source's
 * measurements least recently updated first, with `vm=<program>` in front of the source's tags;
 * a measurement without fields is left out.
 */
import { encodeLine, type Field, stringTag, type Tag } from "./line-protocol.js"

/** Position of a measurement in a batch (the reference's, see above). */
export const ORDER = {
  kinfoMem: 0,
  resourceUsage: 1,
  logs: 2,
  connections: 3,
  unikernels: 4,
  policies: 5
} as const

export interface Source {
  readonly id: number
  readonly name: string
  readonly order: number
}

interface Measurement {
  readonly tags: ReadonlyArray<Tag>
  readonly fields: ReadonlyArray<Field>
}

const tagsKey = (tags: ReadonlyArray<Tag>): string => JSON.stringify(tags.map((t) => [t.key, t.value, t.verbatim]))

export class MetricsRegistry {
  private nextId = 0
  private readonly sources: Array<Source> = []
  private readonly cache = new Map<number, Map<string, Measurement>>()
  private readonly polled: Array<{ readonly source: Source; readonly tags: ReadonlyArray<Tag>; readonly fields: () => ReadonlyArray<Field> }> = []

  constructor(readonly enabled: boolean) {}

  source(name: string, order: number): Source {
    const s = { id: this.nextId++, name, order }
    if (this.enabled) this.sources.push(s)
    return s
  }

  report(source: Source, tags: ReadonlyArray<Tag>, fields: () => ReadonlyArray<Field>): void {
    if (!this.enabled) return
    let entries = this.cache.get(source.id)
    if (entries === undefined) {
      entries = new Map()
      this.cache.set(source.id, entries)
    }
    const key = tagsKey(tags)
    entries.delete(key)
    entries.set(key, { tags, fields: fields() })
  }

  /** A source read by `collect` (before every report). */
  poll(source: Source, tags: ReadonlyArray<Tag>, fields: () => ReadonlyArray<Field>): void {
    if (this.enabled) this.polled.push({ source, tags, fields })
  }

  collect(): void {
    for (const p of this.polled) this.report(p.source, p.tags, p.fields)
  }

  /** Every cached measurement as line protocol with `vm=<vm>` first; "" when there is none. */
  batch(vm: string): string {
    const order = [...this.sources].sort((a, b) => a.order - b.order || b.id - a.id)
    let out = ""
    for (const s of order) {
      const entries = this.cache.get(s.id)
      if (entries === undefined) continue
      for (const m of entries.values()) {
        if (m.fields.length === 0) continue
        out += encodeLine(s.name, [stringTag("vm", vm), ...m.tags], m.fields)
      }
    }
    return out
  }
}
