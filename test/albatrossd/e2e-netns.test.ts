/**
 * As root: the built albatrossd inside a network namespace made by the test, with a real bridge:
 * a unikernel's tap is created and attached to the bridge, the fake tender finds it, and it is
 * gone after destroy.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { installFakeTender } from "../fixtures/fake-tender/install.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { addNamespaceWithBridge, inNamespace } from "../support/netns.js"
import { config, replyText } from "./support.js"
import { type ConsoleStandIn, pidsMentioning, request, requireBuild, type RunningDaemon, startConsole, startDaemon, waitFor } from "./e2e-support.js"

const ns = `alb-d-${process.pid}`
const root = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-netns-"))
const tmpdir = path.join(root, "run")
const dbdir = path.join(root, "db")
const inNs = (...argv: Array<string>) => inNamespace(ns, ...argv)

let consolePeer: ConsoleStandIn | undefined
let daemon: RunningDaemon | undefined
let made = false

afterAll(async () => {
  daemon?.child.kill("SIGKILL")
  for (const pid of pidsMentioning(root)) process.kill(pid, "SIGKILL")
  await consolePeer?.close()
  if (made) execFileSync("ip", ["netns", "del", ns])
})

describe("albatrossd end to end with real taps (root, network namespace)", () => {
  it("creates a tap on the bridge for the unikernel and removes it on destroy", { timeout: 60000 }, async () => {
    requireBuild()
    made = addNamespaceWithBridge(ns, "albbr0")

    for (const d of ["util", "fifo"]) fs.mkdirSync(path.join(tmpdir, d), { recursive: true })
    fs.mkdirSync(path.join(dbdir, "block"), { recursive: true })
    installFakeTender(dbdir, ["solo5-hvt"])
    consolePeer = await startConsole(tmpdir)
    daemon = await startDaemon(["--tmpdir", tmpdir, "--dbdir", dbdir], { ...process.env, FAKE_TENDER_CHECK_TAPS: "1" }, [
      "ip",
      "netns",
      "exec",
      ns
    ])
    expect(daemon.log()).toContain("bridges: albbr0")

    const image = solo5Image({ target: "hvt", abi: 2, devices: [{ kind: "net", name: "service" }] })
    const cfg = config({ image, bridges: [{ netif: "service", bridge: "albbr0", mac: null }], argv: ["--fake-lines=1"] })
    expect(replyText(await request(tmpdir, "web", { _tag: "UnikernelCreate", config: cfg }))).toBe("success:created unikernel")
    expect(inNs("ip", "-o", "link", "show", "master", "albbr0")).toContain("vmmtap0")
    await waitFor("console output", () => (consolePeer!.output.get(":web") ?? "").includes("line 1"))
    expect(consolePeer.output.get(":web")).toContain("--net:service=vmmtap0")

    // a bridge that does not exist is refused before anything is made
    const bad = config({ image, bridges: [{ netif: "service", bridge: "nope", mac: null }] })
    expect(replyText(await request(tmpdir, "bad", { _tag: "UnikernelCreate", config: bad }))).toMatch(/^failure:/)

    expect(replyText(await request(tmpdir, "web", { _tag: "UnikernelDestroy" }))).toBe("success:destroyed unikernel")
    expect(inNs("ip", "-o", "link", "show")).not.toContain("vmmtap")

    daemon.child.kill("SIGTERM")
    expect((await daemon.exited).code).toBe(0)
    daemon = undefined
  })
})
