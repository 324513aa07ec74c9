/** endpointOf and commandText against endpoints.json (spec §6.7, `Vmm_commands.pp`). */
import { describe, expect, it } from "vitest"
import type { Command, CommandTag } from "../../src/domain/command.js"
import { commandText, endpointOf, socketFileOf } from "../../src/domain/endpoint.js"
import type { UnikernelArguments, UnikernelConfig } from "../../src/domain/unikernel.js"
import { commandFromJson, type Json } from "../support/vector-values.js"
import { loadRows } from "./vector-files.js"

interface EndpointRow {
  readonly command: Json
  readonly service: "vmmd" | "console" | "stats"
  readonly mode: "single" | "read" | "dump"
  readonly pp: string
}

const rows = loadRows<EndpointRow>("endpoints.json")

describe("endpoints.json", () => {
  it.each(rows.map((r) => [r.pp.replace(/\n/g, " "), r] as const))("%s", (_, r) => {
    const command = commandFromJson(r.command)
    expect(endpointOf(command)).toEqual({ service: r.service, mode: r.mode })
    // the reference's Format break hints wrap at column 78; ours is one line with a space at each hint
    expect(commandText(command)).toBe(r.pp.replace(/\n/g, " "))
  })
})

const config: UnikernelConfig = {
  typ: "bhyve",
  compressed: true,
  image: new Uint8Array(10),
  failBehaviour: { _tag: "Restart", exitCodes: [70, 2] },
  startup: 3,
  addName: false,
  cpuids: [2, 0],
  memory: 512,
  blockDevices: [
    { name: "data", device: null, sectorSize: null },
    { name: "logs", device: "alice-logs", sectorSize: 4096 }
  ],
  bridges: [
    { netif: "service", bridge: null, mac: null },
    { netif: "net1", bridge: "ext", mac: "00:80:41:00:00:01" }
  ],
  argv: ["--hello"],
  numcpus: 2,
  linuxBootPartition: "/dev/vda1"
}
const { typ: _t, compressed: _c, image: _i, ...args } = config
const restartArgs: UnikernelArguments = { ...args, failBehaviour: { _tag: "Restart", exitCodes: null } }

/** Commands the table does not cover, with the text the reference's printers give (spec §6.7, Vmm_commands.pp). */
const extra: ReadonlyArray<readonly [Command, string, string, string]> = [
  [{ _tag: "ConsoleSubscribe", query: { _tag: "Since", since: new Date("2024-01-02T03:04:05.678Z") } }, "console", "read",
    "console subscribe since 2024-01-02T03:04:05-00:00"],
  [{ _tag: "StatsAdd", vmmdev: "solo5-123", pid: 123, taps: [{ bridge: "service", tap: "tap0" }, { bridge: "ext", tap: "tap1" }] },
    "stats", "single", "stats add: vmm device solo5-123 pid 123 taps service: tap0, ext: tap1"],
  [{ _tag: "OldUnikernelInfo4" }, "vmmd", "single", "old unikernel info4"],
  [{ _tag: "OldUnikernelInfo5" }, "vmmd", "single", "old unikernel info5"],
  [{ _tag: "UnikernelForceCreate", config }, "vmmd", "single",
    "unikernel force create typ BHyve compression true image 10 bytes fail behaviour restart 2, 70 startup at 3 " +
      "add_name false CPUids 0, 2 512 MB memory block devices data -> data, logs -> alice-logs, sector-size: 4096 " +
      "bridge service -> service, net1 -> ext@00:80:41:00:00:01 #cpus 2 linux_boot /dev/vda1"],
  [{ _tag: "UnikernelRestart", args: restartArgs }, "vmmd", "single",
    "unikernel restart fail behaviour restart all except 1 startup at 3 add_name false CPUids 0, 2 512 MB memory " +
      "block devices data -> data, logs -> alice-logs, sector-size: 4096 bridge service -> service, " +
      "net1 -> ext@00:80:41:00:00:01 #cpus 2 linux_boot_partition /dev/vda1"],
  [{ _tag: "OldBlockAdd", size: 10, compressed: false, data: null }, "vmmd", "single", "old block add 10 (compressed false data no data)"],
  [{ _tag: "OldBlockAdd", size: 10, compressed: true, data: new Uint8Array(5) }, "vmmd", "single", "old block add 10 (compressed true data 5)"],
  [{ _tag: "OldBlockSet", compressed: true, data: new Uint8Array(7) }, "vmmd", "single", "old block set compressed true 7 bytes"],
  [{ _tag: "ConsoleAdd", n: 4611686018427387903n }, "console", "read", "console add (max unikernels 4611686018427387903)"]
]

describe("commands outside the table", () => {
  it.each(extra.map(([c, service, mode, text]) => [text, c, service, mode] as const))("%s", (text, c, service, mode) => {
    expect(endpointOf(c)).toEqual({ service, mode })
    expect(commandText(c)).toBe(text)
  })

  it("together with the table, every command of the protocol is covered", () => {
    const tags = new Set<CommandTag>([...rows.map((r) => commandFromJson(r.command)._tag), ...extra.map(([c]) => c._tag)])
    const all: ReadonlyArray<CommandTag> = [
      "ConsoleAdd", "ConsoleSubscribe", "ConsoleListInactive", "StatsAdd", "StatsRemove", "StatsSubscribe", "StatsInitial",
      "UnikernelInfo", "OldUnikernelInfo4", "OldUnikernelInfo5", "UnikernelDestroy", "UnikernelCreate", "UnikernelForceCreate",
      "UnikernelRestart", "UnikernelGet", "PolicyInfo", "PolicyAdd", "PolicyRemove", "BlockInfo", "BlockAdd", "BlockRemove",
      "BlockSet", "BlockDump", "OldBlockAdd", "OldBlockSet", "OldBlockDump"
    ]
    expect([...tags].sort()).toEqual([...all].sort())
  })
})

describe("socketFileOf", () => {
  it("names the sockets under <tmpdir>/util (stat, not stats)", () => {
    expect(socketFileOf("vmmd")).toBe("vmmd.sock")
    expect(socketFileOf("console")).toBe("console.sock")
    expect(socketFileOf("stats")).toBe("stat.sock")
  })
})
