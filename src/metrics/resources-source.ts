/**
 * albatrossd's resource sources (spec §3.5, the reference's Vmm_resources):
 *
 * - `albatross-policies` (tag `domain`): `maximum unikernels`, `maximum memory`,
 *   `maximum block` (0 without a block quota) of the policy at a path, reported when a policy is
 *   inserted; a removed policy is reported with all three 0.
 * - `albatross-unikernels` (tag `domain`): `attached used block`, `unattached used block`,
 *   `total used block` (MB), `running unikernels`, `used memory` (MB) of the subtree at a path,
 *   reported for the path of a unikernel or block device that was added or removed and for
 *   every ancestor up to the root.
 *
 * `domain` is the path with `:` between labels, `:` for the root (for both sources: the
 * reference writes an empty tag for a root policy, which line protocol rejects).
 */
import type { Policy } from "../domain/policy.js"
import { field, sourceTag } from "./line-protocol.js"
import { type MetricsRegistry, ORDER } from "./registry.js"

type Path = ReadonlyArray<string>

/** What the sources read from the resource state. */
export interface UsageView {
  unikernelUsage(path: Path): { readonly unikernels: number; readonly memory: number }
  blockUsage(path: Path): { readonly active: number; readonly inactive: number }
}

/** Told by the accounting after every change it commits. */
export interface ResourceObserver {
  readonly policyChanged: (path: Path, policy: Policy | undefined) => void
  readonly usageChanged: (state: UsageView, path: Path) => void
}

export const domainTag = (path: Path): string => (path.length === 0 ? ":" : path.join(":"))

/** The observer reporting to `registry`; undefined when the registry is disabled (nothing to do). */
export const resourceSources = (registry: MetricsRegistry): ResourceObserver | undefined => {
  if (!registry.enabled) return undefined
  const policies = registry.source("albatross-policies", ORDER.policies)
  const unikernels = registry.source("albatross-unikernels", ORDER.unikernels)
  return {
    policyChanged: (path, policy) =>
      registry.report(policies, [sourceTag("domain", domainTag(path))], () => [
        field.uint("maximum unikernels", policy?.unikernels ?? 0),
        field.uint("maximum memory", policy?.memory ?? 0),
        field.uint("maximum block", policy?.block ?? 0)
      ]),
    usageChanged: (state, path) => {
      for (let n = path.length; n >= 0; n--) {
        const at = path.slice(0, n)
        registry.report(unikernels, [sourceTag("domain", domainTag(at))], () => {
          const u = state.unikernelUsage(at)
          const b = state.blockUsage(at)
          return [
            field.uint("attached used block", b.active),
            field.uint("unattached used block", b.inactive),
            field.uint("total used block", b.active + b.inactive),
            field.uint("running unikernels", u.unikernels),
            field.uint("used memory", u.memory)
          ]
        })
      }
    }
  }
}
