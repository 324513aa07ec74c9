/** Startup (spec §4.2), startup order (§2.7), dump and restore (§4.8) with the state vectors, shutdown. */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Scope } from "effect"
import type { PersistedState } from "../../src/domain/wire.js"
import { decodeStateSync } from "../../src/wire/index.js"
import { type Json, hexToBytes } from "../support/vector-values.js"
import { defaultRootPolicy, makeFakeHost } from "./fake-host.js"
import { config, create, name, setup, tmpRuntimeDir } from "./support.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

const vectorsDir = sharedVectorsDir
const stateVectors = (
  JSON.parse(fs.readFileSync(path.join(vectorsDir, "vectors.json"), "utf8")) as Array<{ name: string; kind: string; direction: string; hex: string; value: Json }>
).filter((v) => v.kind === "state" && v.direction !== "negative")

describe("albatrossd startup and persistence", () => {
  it.scoped("restores in startup order (ascending, absent = 50, stable over trie order), persisting each", () =>
    Effect.gen(function* () {
      const state: PersistedState = {
        unikernels: [
          { name: name(":a"), config: config({ startup: 70 }) },
          { name: name(":b"), config: config() },
          { name: name("x:c"), config: config({ startup: 10 }) },
          { name: name(":d"), config: config({ startup: 50 }) },
          { name: name(":e"), config: config({ startup: 10 }) }
        ],
        policies: [{ name: name("x:"), policy: { ...defaultRootPolicy, unikernels: 5n, memory: 512 } }]
      }
      const t = yield* setup({ state })
      expect(t.console.added.map((a) => a.name)).toEqual([":e", "x:c", ":b", ":d", ":a"])
      expect(t.fake.startedSnapshot()).toBeDefined()
      expect(t.fake.state()?.unikernels.map((u) => u.name.toString())).toEqual([":a", ":b", ":d", ":e", "x:c"])
      // console sequence numbers count up from 1
      expect(t.console.added.map((a) => a.sequence)).toEqual([1n, 2n, 3n, 4n, 5n])
    }))

  it.scoped("the stored root policy is replaced by the discovered one; a policy that does not fit aborts", () =>
    Effect.gen(function* () {
      const stored = { ...defaultRootPolicy, memory: 1 }
      const t = yield* setup({ state: { unikernels: [], policies: [{ name: name(":"), policy: stored }] } })
      expect(t.daemon.acc.policyAt([])).toEqual(defaultRootPolicy)
      const bad = makeFakeHost({
        state: {
          unikernels: [],
          policies: [
            { name: name("a:"), policy: { ...defaultRootPolicy, unikernels: 2n } },
            { name: name("a:b:"), policy: { ...defaultRootPolicy, unikernels: 3n } }
          ]
        }
      })
      const scope = yield* Scope.make()
      const failed = yield* Effect.exit(Scope.extend(setup({ fake: bad }), scope))
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isFailure(failed)).toBe(true)
      expect(String(Exit.isFailure(failed) ? failed.cause : "")).toContain(
        "policy restore error: couldn't insert policy policy: 3 unikernels 0,1,2,3 CPUids 4096 MB memory 1000 MB block, bridges: br0, gone, service for a:b:: policy above allows 2 unikernels, which is fewer than 3"
      )
    }))

  it.scoped("an undecodable state file aborts the start", () =>
    Effect.gen(function* () {
      const fake = makeFakeHost()
      fake.setStateBytes(new Uint8Array([1, 2, 3]))
      const scope = yield* Scope.make()
      const r = yield* Effect.exit(Scope.extend(setup({ fake }), scope))
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isFailure(r)).toBe(true)
      expect(String(Exit.isFailure(r) ? r.cause : "")).toContain("couldn't parse state")
    }))

  it.scoped("stopping the daemon stops every unikernel and keeps the state file; the next start brings them back", () =>
    Effect.gen(function* () {
      const dir = tmpRuntimeDir("albatrossd-restart-")
      const fake = makeFakeHost()
      const scope = yield* Scope.make()
      const first = yield* Scope.extend(setup({ fake, dir }), scope)
      yield* first.say("one", create(config({ bridges: [{ netif: "service", bridge: null, mac: null }] })))
      yield* first.say("two", create(config({ failBehaviour: { _tag: "Restart", exitCodes: null } })))
      const before = fake.state()
      yield* Scope.close(scope, Exit.void)
      expect(fake.live()).toHaveLength(0)
      expect(fake.processes.every((p) => p.terminated === 1)).toBe(true)
      expect(fake.taps.size).toBe(0)
      expect(fake.state()).toEqual(before)
      const second = yield* setup({ fake, dir })
      expect(fake.live()).toHaveLength(2)
      expect([...second.daemon.supervised.keys()].sort()).toEqual(["one", "two"])
    }))

  for (const v of stateVectors) {
    it.scoped(`restores the state vector ${v.name}`, () =>
      Effect.gen(function* () {
        const bytes = hexToBytes(v.hex)
        const decoded = Either.getOrThrow(decodeStateSync(bytes))
        const bridges = decoded.unikernels.flatMap((u) => u.config.bridges.map((b) => b.bridge ?? b.netif))
        const underPolicy = (n: { path: ReadonlyArray<string> }) =>
          decoded.policies.some((p) => p.name.path.length > 0 && p.name.path.every((l, i) => n.path[i] === l))
        // block files exist for the unikernels that need them, except where a policy would not admit them
        const blocks = decoded.unikernels
          .filter((u) => !underPolicy(u.name))
          .flatMap((u) => u.config.blockDevices.map((b) => ({ name: u.name.blockName(b.device ?? b.name).toString(), size: 1 })))
        const fake = makeFakeHost({
          rootPolicy: { unikernels: (1n << 62n) - 1n, cpuids: [0, 1, 2, 3], memory: 100000, block: 1000, bridges: [...new Set(bridges)].sort() },
          bridges,
          blocks
        })
        fake.setStateBytes(bytes)
        const t = yield* setup({ fake })
        // every unikernel that fits its policies and host runs with its stored configuration;
        // the others (shared block, fake image that does not inflate) are reported and left out
        expect(fake.startedSnapshot()).toEqual(bytes)
        const nonRoot = decoded.policies.filter((p) => p.name.path.length > 0).map((p) => p.name.toString())
        expect(t.daemon.acc.policyEntries().length).toBe(nonRoot.length + 1)
        const running = [...t.daemon.supervised.values()].map((s) => ({ name: s.name.toString(), config: s.config }))
        const stored = decoded.unikernels.map((u) => ({ name: u.name.toString(), config: u.config }))
        for (const r of running) expect(stored).toContainEqual(r)
        const plain = decoded.unikernels.filter((u) => !u.config.compressed && u.config.blockDevices.length === 0 && !underPolicy(u.name))
        for (const u of plain) expect(running.map((r) => r.name)).toContain(u.name.toString())
        if (running.length > 0) expect(fake.state()?.unikernels.map((u) => u.name.toString()).sort()).toEqual(running.map((r) => r.name).sort())
      }))
  }
})
