import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { UnikernelConfig } from "../../src/domain/unikernel.js"
import {
  bhyveArgv,
  bhyveDisk0,
  bhyveVmName,
  checkBhyveDeviceOrder,
  cpuPinning,
  nameArgument,
  solo5Argv
} from "../../src/services/tender-argv.js"

const name = Either.getOrThrow(Name.fromString("alice:web"))
const paths = { tmpdir: "/run/albatross", dbdir: "/var/lib/albatross" }

type Cfg = Pick<UnikernelConfig, "cpuids" | "memory" | "bridges" | "blockDevices" | "addName" | "argv">

const specExample: Cfg = {
  cpuids: [1],
  memory: 64,
  bridges: [{ netif: "service", bridge: null, mac: "00:80:41:03:9d:1a" }],
  blockDevices: [{ name: "storage", device: "webdata", sectorSize: 4096 }],
  addName: true,
  argv: ["--ipv4=10.0.0.2/24"]
}

describe("Solo5 command line (spec §5.6)", () => {
  it("is the spec example word for word", () => {
    expect(
      solo5Argv({ os: "Linux", tender: "solo5-hvt", name, config: specExample, taps: ["vmmtap0"], paths, dropPath: true }).join(" ")
    ).toBe(
      "taskset -c 1 solo5-hvt --mem=64 --net:service=vmmtap0 --net-mac:service=00:80:41:03:9d:1a " +
        "--block:storage=/var/lib/albatross/block/alice:webdata --block-sector-size:storage=4096 " +
        "-- /run/albatross/alice:web.img --name=web --ipv4=10.0.0.2/24"
    )
  })

  it("groups nets, then MACs, then blocks, then sector sizes; derives missing MACs; cpuset on FreeBSD", () => {
    const argv = solo5Argv({
      os: "FreeBSD",
      tender: "/var/db/albatross/solo5-spt.2",
      name,
      config: {
        cpuids: [3, 0, 2],
        memory: 32,
        bridges: [
          { netif: "a", bridge: "br0", mac: null },
          { netif: "b", bridge: null, mac: "00:11:22:33:44:55" }
        ],
        blockDevices: [
          { name: "d1", device: null, sectorSize: null },
          { name: "d2", device: null, sectorSize: 512 }
        ],
        addName: false,
        argv: null
      },
      taps: ["tap0", "tap1"],
      paths: { tmpdir: "/var/run/albatross", dbdir: "/var/db/albatross" },
      dropPath: true
    })
    expect(argv).toEqual([
      "cpuset",
      "-l",
      "0,2,3",
      "/var/db/albatross/solo5-spt.2",
      "--mem=32",
      "--net:a=tap0",
      "--net:b=tap1",
      expect.stringMatching(/^--net-mac:a=00:80:41(:[0-9a-f]{2}){3}$/),
      "--net-mac:b=00:11:22:33:44:55",
      "--block:d1=/var/db/albatross/block/alice:d1",
      "--block:d2=/var/db/albatross/block/alice:d2",
      "--block-sector-size:d2=512",
      "--",
      "/var/run/albatross/alice:web.img"
    ])
  })

  it("injects the full name with --no-drop-path, and for a name without label", () => {
    expect(nameArgument(name, false)).toBe("alice:web")
    expect(nameArgument(name, true)).toBe("web")
    expect(nameArgument(Name.of(["alice"]), true)).toBe("alice:")
    expect(cpuPinning("Linux", [])).toEqual(["taskset", "-c", ""])
  })
})

describe("bhyve (spec §5.6)", () => {
  const vmConfig = {
    bridges: [
      { netif: "0", bridge: "br0", mac: "00:11:22:33:44:55" },
      { netif: "1", bridge: "br1", mac: null }
    ],
    blockDevices: [
      { name: "0", device: "/dev/zvol/tank/vm0", sectorSize: null },
      { name: "1", device: "data", sectorSize: null }
    ],
    numcpus: 2,
    memory: 1024
  }

  it("builds the bhyve argv: slots from 2, nets first, host devices verbatim", () => {
    const argv = bhyveArgv({ vm: "alba-42", name, config: vmConfig, taps: ["tap3", "tap4"] })
    expect(argv.slice(0, 7)).toEqual(["bhyve", "-A", "-H", "-P", "-s0,hostbridge", "-s1,lpc", "-s2,virtio-net,tap3,mac=00:11:22:33:44:55"])
    expect(argv[7]).toMatch(/^-s3,virtio-net,tap4,mac=00:80:41(:[0-9a-f]{2}){3}$/)
    expect(argv.slice(8)).toEqual([
      "-s4,virtio-blk,/dev/zvol/tank/vm0",
      "-s5,virtio-blk,data",
      "-lcom1,stdio",
      "-c2",
      "-m1024M",
      "alba-42"
    ])
  })

  it("checks device order and the boot disk", () => {
    expect(checkBhyveDeviceOrder(vmConfig)).toEqual(Either.right(undefined))
    expect(checkBhyveDeviceOrder({ ...vmConfig, bridges: [{ netif: "1", bridge: "br0", mac: null }] })).toEqual(
      Either.left("network device on br0 with name 1 not in ascending order (expected 0)")
    )
    expect(
      checkBhyveDeviceOrder({ bridges: [], blockDevices: [{ name: "0", device: "d0", sectorSize: null }, { name: "x", device: null, sectorSize: null }] })
    ).toEqual(Either.left("block device x with name x not in ascending order (expected 1)"))
    expect(bhyveDisk0(vmConfig)).toEqual(Either.right("/dev/zvol/tank/vm0"))
    expect(bhyveDisk0({ blockDevices: [] })).toEqual(Either.left("couldn't find initial block device"))
    expect(bhyveDisk0({ blockDevices: [{ name: "0", device: null, sectorSize: null }] })).toEqual(
      Either.left("no name for initial disk")
    )
    expect(bhyveVmName(0.123456)).toBe("alba-12345")
    expect(bhyveVmName(0.9999999)).toBe("alba-99999")
  })
})
