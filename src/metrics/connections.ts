/**
 * The `connections` source (the reference's `Vmm_core.conn_metrics`): one per kind of
 * connection a daemon keeps — `unix` (accepted on its Unix socket), `fifo` (console FIFOs being
 * read), `vmmapi` (FreeBSD VMM handles) — with the fields `active` (open now) and `total`
 * (opened since start). The counts are always kept (two integers); they are reported, on every
 * change, only when the registry is enabled.
 */
import { Effect } from "effect"
import { field, sourceTag } from "./line-protocol.js"
import { type MetricsRegistry, ORDER, type Source } from "./registry.js"

export type ConnectionKind = "unix" | "fifo" | "vmmapi"

export class ConnectionCounter {
  active = 0
  total = 0
  private readonly source: Source

  constructor(
    private readonly registry: MetricsRegistry,
    readonly kind: ConnectionKind
  ) {
    this.source = registry.source("connections", ORDER.connections)
  }

  private report(): void {
    this.registry.report(this.source, [sourceTag("kind", this.kind)], () => [
      field.int("active", this.active),
      field.int("total", this.total)
    ])
  }

  open(): void {
    this.active++
    this.total++
    this.report()
  }

  close(): void {
    this.active--
    this.report()
  }
}

/** `eff` counted as one connection of `counter`: opened when it starts, closed when it ends however it ends. */
export const counted = <A, E, R>(counter: ConnectionCounter, eff: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => counter.open()),
    () => eff,
    () => Effect.sync(() => counter.close())
  )
