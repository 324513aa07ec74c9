/**
 * albatross-client end to end with a network device (issue 6), as root: the built daemons run
 * inside a network namespace this test makes, with a bridge there; the built client, outside,
 * reaches them through their Unix sockets. A unikernel whose manifest declares a net device is
 * created with --net, gets a tap on the bridge, shows up in info and statistics, and its tap is
 * gone after destroy. A --net that does not match the manifest is refused by the client.
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { waitFor } from "../albatrossd/e2e-support.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { daemonStack } from "../support/daemon-stack.js"
import { addNamespaceWithBridge, inNamespace } from "../support/netns.js"

const ns = `alb-cli-${process.pid}`
const bridge = "albclibr0"
const inNs = (...argv: Array<string>) => inNamespace(ns, ...argv)
const stack = daemonStack("albatross-client-net-", {
  env: { ...process.env, FAKE_TENDER_CHECK_TAPS: "1" },
  wrap: ["ip", "netns", "exec", ns]
})
const { root, tmpdir } = stack
const { client, shown } = stack
let made = false
const taps = () => inNs("ip", "-o", "link", "show", "master", bridge)

beforeAll(async () => {
  made = addNamespaceWithBridge(ns, bridge)
  await stack.start()
  fs.writeFileSync(path.join(root, "net.hvt"), solo5Image({ devices: [{ kind: "net", name: "service" }] }))
}, 30_000)

afterAll(async () => {
  await stack.stop()
  if (made) execFileSync("ip", ["netns", "del", ns])
}, 30_000)

describe("albatross-client against the built daemons in a network namespace", () => {
  it("creates a unikernel with a net device on a bridge, shows it, streams its statistics, destroys it", { timeout: 60_000 }, async () => {
    const image = path.join(root, "net.hvt")

    // the manifest is checked by the client before anything is sent (spec §11.2, §5.5)
    const mismatch = 'albatross-client: specified bridge(s) does not match with the manifest. Devices present in manifest: net "service"\n'
    for (const net of [[], ["--net", `other:${bridge}`]]) {
      const refused = await client("create", "svc", image, ...net)
      expect(refused.code, shown(refused)).toBe(124)
      expect(refused.stderr).toBe(mismatch)
    }
    expect(fs.readdirSync(path.join(tmpdir, "fifo"))).toEqual([])

    const created = await client("create", "svc", image, "--net", `service:${bridge}`, "--arg=--fake-lines=1")
    expect(created.code, shown(created)).toBe(0)
    expect(created.stdout).toBe("host [unikernel: :svc]: success: created unikernel\n")
    expect(taps()).toMatch(/^\d+: vmmtap\d+: .* master albclibr0 /)

    const info = await client("info", "-n", "svc")
    expect(info.code, shown(info)).toBe(0)
    expect(info.stdout).toMatch(new RegExp(`\\nbridge service -> ${bridge} \\(mac [0-9a-f]{2}(:[0-9a-f]{2}){5}\\)\\n`))

    // statistics: the tap's counters come with the process figures
    const stats = await stack.streamClient("stats", "-n", "svc")
    await waitFor("a stats sample with the tap", () => /\nbridge service flags [0-9A-F]+ .* mtu 1500 .*\n/.test(stats.stdout()), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${stats.stdout()}${stats.stderr()}\n${stack.logs()}`)
    })
    stats.kill()
    await stats.done
    expect(stats.stdout()).toMatch(/^host \[unikernel: :svc\]: success: subscribed\nstats: utime /)

    const destroyed = await client("destroy", "svc")
    expect(destroyed.stdout, shown(destroyed)).toBe("host [unikernel: :svc]: success: destroyed unikernel\n")
    expect(taps()).toBe("")
  })
})
