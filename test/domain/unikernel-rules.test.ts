/** fineWithPolicy against fine-with-policy.json; bridges, block devices and restart arguments (spec §2.2). */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Policy } from "../../src/domain/policy.js"
import type { UnikernelArguments, UnikernelConfig } from "../../src/domain/unikernel.js"
import { applyArguments, argumentsOf, blockDevicesOf, bridgesOf, fineWithPolicy } from "../../src/domain/unikernel-rules.js"
import { configFromJson, type Json, policyFromJson } from "../support/vector-values.js"
import { asResult, type CheckResult, loadRows } from "./vector-files.js"

interface FineRow {
  readonly name: string
  readonly policy: Json
  readonly config: Json
  readonly result: CheckResult
}

describe("fine-with-policy.json", () => {
  const rows = loadRows<FineRow>("fine-with-policy.json")
  it.each(rows.map((r) => [r.name, r] as const))("%s", (_, r) => {
    expect(asResult(fineWithPolicy(policyFromJson(r.policy), configFromJson(r.config)))).toEqual(r.result)
  })
})

const config: UnikernelConfig = {
  typ: "solo5",
  compressed: true,
  image: Uint8Array.of(1, 2, 3),
  failBehaviour: { _tag: "Quit" },
  startup: null,
  addName: true,
  cpuids: [0],
  memory: 64,
  blockDevices: [
    { name: "data", device: null, sectorSize: null },
    { name: "logs", device: "alice-logs", sectorSize: 4096 }
  ],
  bridges: [
    { netif: "service", bridge: null, mac: null },
    { netif: "net1", bridge: "ext", mac: "00:80:41:00:00:01" }
  ],
  argv: ["-l", "*:debug"],
  numcpus: 1,
  linuxBootPartition: null
}

const args: UnikernelArguments = {
  failBehaviour: { _tag: "Restart", exitCodes: [2, 3] },
  startup: 10,
  addName: false,
  cpuids: [1, 2],
  memory: 128,
  blockDevices: [],
  bridges: [{ netif: "dmz", bridge: null, mac: null }],
  argv: null,
  numcpus: 2,
  linuxBootPartition: "/dev/sda1"
}

describe("bridgesOf and blockDevicesOf", () => {
  it("take the host name, defaulting to the unikernel-side name, in config order", () => {
    expect(bridgesOf(config)).toEqual(["service", "ext"])
    expect(blockDevicesOf(config)).toEqual(["data", "alice-logs"])
    expect(bridgesOf(args)).toEqual(["dmz"])
    expect(blockDevicesOf(args)).toEqual([])
  })
})

describe("restart arguments", () => {
  it("argumentsOf is the configuration without typ, compressed and image", () => {
    const a = argumentsOf(config)
    expect(Object.keys(a).sort()).toEqual(
      ["addName", "argv", "blockDevices", "bridges", "cpuids", "failBehaviour", "linuxBootPartition", "memory", "numcpus", "startup"]
    )
    const { typ: _t, compressed: _c, image: _i, ...rest } = config
    expect(a).toEqual(rest)
  })

  it("applyArguments replaces every argument and keeps typ, compressed and image", () => {
    const next = applyArguments(config, args)
    expect(next.typ).toBe("solo5")
    expect(next.compressed).toBe(true)
    expect(next.image).toBe(config.image)
    expect(argumentsOf(next)).toEqual(args)
  })

  it("a restart with the arguments of the running configuration changes nothing", () => {
    expect(applyArguments(config, argumentsOf(config))).toEqual(config)
  })

  it("never leaks fields of the old configuration (property over mixed arguments)", () => {
    const pick = <K extends keyof UnikernelArguments>(k: K) => fc.constantFrom(config[k], args[k])
    const argsArb: fc.Arbitrary<UnikernelArguments> = fc.record({
      failBehaviour: pick("failBehaviour"),
      startup: pick("startup"),
      addName: pick("addName"),
      cpuids: pick("cpuids"),
      memory: pick("memory"),
      blockDevices: pick("blockDevices"),
      bridges: pick("bridges"),
      argv: pick("argv"),
      numcpus: pick("numcpus"),
      linuxBootPartition: pick("linuxBootPartition")
    })
    fc.assert(
      fc.property(argsArb, (a) => {
        expect(argumentsOf(applyArguments(config, a))).toEqual(a)
      })
    )
  })
})

describe("fineWithPolicy texts", () => {
  const policy: Policy = { unikernels: 1n, cpuids: [0, 1], memory: 64, block: null, bridges: ["service", "ext"] }
  it("sorts the CPUid difference and the available bridges, keeps disallowed bridges in config order", () => {
    expect(asResult(fineWithPolicy(policy, { ...config, cpuids: [7, 3, 1] }))).toEqual({
      ok: false,
      error: "the CPUids 3, 7 requested by the unikernel are not allowed by policy"
    })
    expect(
      asResult(
        fineWithPolicy(policy, {
          ...config,
          bridges: [
            { netif: "z", bridge: null, mac: null },
            { netif: "a", bridge: null, mac: null }
          ]
        })
      )
    ).toEqual({ ok: false, error: "Bridge(s) z, a not allowed by policy (available: ext, service)" })
  })
  it("prints memory as OCaml %u", () => {
    expect(asResult(fineWithPolicy({ ...policy, memory: -2 }, { ...config, memory: -1 }))).toEqual({
      ok: false,
      error: "18446744073709551615 MB memory assigned to unikernel exceeds policy (18446744073709551614MB)"
    })
  })
})
