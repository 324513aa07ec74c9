/**
 * albatross-client end to end (issue 6): the built client, as a child process for every step,
 * against the built albatross-console, albatrossd (the fake tender as its solo5-hvt) and
 * albatross-stats, all on a throwaway --tmpdir/--dbdir. It checks what an operator sees
 * (spec §11.5 output, §11.6 exit codes): policies, the block lifecycle, a unikernel's whole
 * life (create with a block device, restart flags and --cpus; info; console history and live
 * lines; statistics of the tender process; restart; destroy) and the reference error texts.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pidsMentioning, waitFor } from "../albatrossd/e2e-support.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { daemonStack } from "../support/daemon-stack.js"

const stack = daemonStack("albatross-client-e2e-")
const { root, tmpdir, dbdir } = stack
const { client, shown } = stack
const stream = stack.streamClient
const ok = async (...args: Array<string>): Promise<string> => {
  const r = await client(...args)
  expect(r.code, shown(r)).toBe(0)
  return r.stdout
}
/** A command the daemon refuses: the reference's warning line (on stdout, as Logs_fmt on std_formatter) and exit 117 (spec §11.6). */
const refused = async (...args: Array<string>): Promise<string> => {
  const r = await client(...args)
  expect(r.code, shown(r)).toBe(117)
  expect(r.stderr).toBe("")
  return r.stdout
}
const dumpedPath = (stdout: string): string => {
  const m = /dumped to (\S+)/.exec(stdout)
  if (m === null) throw new Error(`no "dumped to" in ${JSON.stringify(stdout)}`)
  return m[1]!
}

beforeAll(async () => {
  await stack.start()
  fs.writeFileSync(path.join(root, "storage.hvt"), solo5Image({ devices: [{ kind: "block", name: "storage" }] }))
  fs.writeFileSync(path.join(root, "plain.hvt"), solo5Image())
}, 30_000)

afterAll(async () => {
  await stack.stop()
}, 30_000)

describe("albatross-client against the built daemons", () => {
  it("adds a policy at a path and lists the policies", { timeout: 30_000 }, async () => {
    expect(await ok("policy")).toMatch(/^host \[unikernel: :\]: \[unikernel: :\]: policy: \d+ unikernels [\d,]+ CPUids \d+ MB memory \d+ MB block\n$/)

    const added = await client("add-policy", "alice", "2", "--mem", "256", "--size", "64")
    expect(added.code, shown(added)).toBe(0)
    expect(added.stdout).toBe(
      "albatross-client: [WARNING] policy without any network access\nhost [unikernel: alice:]: success: added policy\n"
    )

    const all = (await ok("policy")).split("\n")
    expect(all[0]).toMatch(/^host \[unikernel: :\]: \[unikernel: :\]: policy: /)
    expect(all.slice(1)).toEqual(["[unikernel: alice:]: policy: 2 unikernels 0 CPUids 256 MB memory 64 MB block", ""])
    // at a path, the policy itself is listed under `:` (spec §4.4)
    expect(await ok("policy", "-p", "alice")).toBe(
      "host [unikernel: alice:]: [unikernel: :]: policy: 2 unikernels 0 CPUids 256 MB memory 64 MB block\n"
    )

    // the delegate's quota is enforced by albatrossd
    const image = path.join(root, "plain.hvt")
    expect(await refused("create", "alice:big", image, "--mem", "512")).toBe(
      "albatross-client: [WARNING] host [unikernel: alice:big]: command failed maximum allowed memory (256, used 0) would be exceeded (requesting 512)\n"
    )
  })

  it("runs the block lifecycle: create (empty and with data), list, set, dump, destroy", { timeout: 30_000 }, async () => {
    const MB = 1024 * 1024
    expect(await ok("create-block", "empty", "1")).toBe("host [unikernel: :empty]: success: added block device\n")
    const seed = crypto.randomBytes(100_000)
    fs.writeFileSync(path.join(root, "seed.bin"), seed)
    const seeded = await ok("create-block", "seeded", "2", "--data", path.join(root, "seed.bin"))
    expect(seeded).toContain("host [unikernel: :seeded]: success: added block device\n")
    expect(seeded).toContain("host [unikernel: :seeded]: success: set block device\n")
    expect(fs.statSync(path.join(dbdir, "block", ":seeded")).size).toBe(2 * MB)

    // in the reference's order: its name trie is folded into a list by consing, so names come descending
    expect(await ok("block")).toBe(
      "host [unikernel: :]: block [unikernel: :seeded] size 2 MB active false\nblock [unikernel: :empty] size 1 MB active false\n"
    )
    expect(await ok("block", "--name", "seeded")).toBe("host [unikernel: :seeded]: block [unikernel: :seeded] size 2 MB active false\n")

    // set-block from a file as large as the device; dump-block gives back exactly those bytes
    const content = crypto.randomBytes(MB)
    fs.writeFileSync(path.join(root, "content.bin"), content)
    expect(await ok("set-block", "empty", path.join(root, "content.bin"))).toBe("host [unikernel: :empty]: success: set block device\n")
    const dump = await ok("dump-block", "empty")
    const file = dumpedPath(dump)
    expect(path.dirname(file)).toBe(root)
    expect(path.basename(file)).toMatch(/^:empty\./)
    expect(crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")).toBe(
      crypto.createHash("sha256").update(content).digest("hex")
    )

    // the --data device: its data, then zeros up to its size
    const seededDump = fs.readFileSync(dumpedPath(await ok("dump-block", "seeded")))
    expect(seededDump.length).toBe(2 * MB)
    expect(seededDump.subarray(0, seed.length).equals(seed)).toBe(true)
    expect(seededDump.subarray(seed.length).every((b) => b === 0)).toBe(true)

    // data larger than the device is refused by the client before anything is sent (exit 124)
    fs.writeFileSync(path.join(root, "big.bin"), Buffer.alloc(MB + 1, 1))
    const tooBig = await client("create-block", "small", "1", "--data", path.join(root, "big.bin"))
    expect(tooBig.code, shown(tooBig)).toBe(124)
    expect(tooBig.stderr).toBe("albatross-client: data exceeds size\n")
    // as the reference's bytes_of_mb: a size of 0 MB is an "overflow"
    const empty = await client("create-block", "small", "0", "--data", path.join(root, "seed.bin"))
    expect(empty.code, shown(empty)).toBe(124)
    expect(empty.stderr).toBe("albatross-client: overflow while computing bytes\n")
    expect(await ok("block", "--name", "small")).toBe("host [unikernel: :small]: no block devices\n")

    expect(await ok("destroy-block", "empty")).toBe("host [unikernel: :empty]: success: removed block\n")
    expect(await ok("destroy-block", "seeded")).toBe("host [unikernel: :seeded]: success: removed block\n")
    expect(fs.readdirSync(path.join(dbdir, "block"))).toEqual([])
    expect(await ok("block")).toBe("host [unikernel: :]: no block devices\n")
    expect(await refused("destroy-block", "empty")).toBe(
      "albatross-client: [WARNING] host [unikernel: :empty]: command failed remove block: not found\n"
    )
  })

  it("creates, shows, streams console and statistics of, restarts and destroys a unikernel", { timeout: 60_000 }, async () => {
    const image = path.join(root, "storage.hvt")
    await ok("create-block", "disk", "4")
    const created = await ok(
      "create", "hello", image,
      "--block", "storage:disk", "--mem", "64", "--cpus", "2",
      "--restart-on-fail", "--exit-code", "3", "--exit-code", "4",
      "--arg=--fake-lines=3"
    )
    expect(created).toBe("host [unikernel: :hello]: success: created unikernel\n")

    // info: the human lines, and --json for the figures
    const info = await ok("info", "-n", "hello")
    expect(info).toMatch(/^host \[unikernel: :hello\]: \[unikernel: :hello\]: typ solo5\n/)
    expect(info).toContain("fail behaviour restart 3, 4")
    expect(info).toContain("CPUids 0 64 MB memory")
    expect(info).toContain("block devices storage -> disk (sector-size: 512 bytes, size 4 MB)")
    expect(info).toContain("#cpus 2 ")
    expect(await ok("info")).toContain("[unikernel: :hello]: typ solo5")
    expect(await ok("block", "--name", "disk")).toBe("host [unikernel: :disk]: block [unikernel: :disk] size 4 MB active true\n")

    // the tender albatrossd started: the arguments it was given
    const [pid] = pidsMentioning(path.join(tmpdir, ":hello.img"))
    if (pid === undefined) throw new Error(`no tender for :hello\n${stack.logs()}`)
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0")
    expect(argv).toContain("--mem=64")
    expect(argv).toContain(`--block:storage=${path.join(dbdir, "block", ":disk")}`)

    // errors: a block in use, an unknown name
    expect(await refused("destroy-block", "disk")).toBe(
      "albatross-client: [WARNING] host [unikernel: :disk]: command failed remove block: is in use\n"
    )
    expect(await refused("dump-block", "disk")).toBe(
      "albatross-client: [WARNING] host [unikernel: :disk]: command failed dump block: is in use\n"
    )
    expect(await refused("destroy", "nobody")).toBe(
      "albatross-client: [WARNING] host [unikernel: :nobody]: command failed destroy: not found\n"
    )

    // console: the history (what the tender printed), then live lines of a restart
    const consoleStream = await stream("console", "hello")
    const consoleLine = (text: string) => `: ${text}\n`
    await waitFor("console history", () => consoleStream.stdout().includes(consoleLine("line 3")), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${consoleStream.stdout()}${consoleStream.stderr()}\n${stack.logs()}`)
    })
    const history = consoleStream.stdout().split("\n")
    expect(history[0]).toBe("host [unikernel: :hello]: success: subscribed")
    expect(history.filter((l) => /^console \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-00:00: Solo5: guest command line: --name=hello --fake-lines=3$/.test(l))).toHaveLength(1)
    expect(history.filter((l) => l.startsWith("console ")).map((l) => l.replace(/^console [^ ]+: /, ""))).toEqual(
      expect.arrayContaining([`Solo5: fake-tender pid ${pid} argv ${JSON.stringify(argv.slice(1, -1)).replace(/"/g, '\\"')}`, "line 1", "line 2", "line 3"])
    )

    const restarted = await ok("restart", "hello", "--replace-arguments", "--block", "storage:disk", "--mem", "64", "--cpus", "2", "--arg=--fake-lines=5")
    expect(restarted).toBe("host [unikernel: :hello]: success: created unikernel\n")
    await waitFor("live console lines", () => consoleStream.stdout().includes(consoleLine("line 5")), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${consoleStream.stdout()}\n${stack.logs()}`)
    })
    expect(consoleStream.stdout()).toContain(consoleLine("Solo5: guest command line: --name=hello --fake-lines=5"))
    consoleStream.kill()
    await consoleStream.done

    const [newPid] = pidsMentioning(path.join(tmpdir, ":hello.img"))
    if (newPid === undefined) throw new Error(`no tender for :hello after the restart\n${stack.logs()}`)
    expect(newPid).not.toBe(pid)
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false)

    // statistics: albatrossd registered the tender with albatross-stats; its /proc figures
    const statsStream = await stream("stats", "-n", "hello")
    await waitFor("a stats sample", () => /\nno vmm stats\n/.test(statsStream.stdout()), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${statsStream.stdout()}${statsStream.stderr()}\n${stack.logs()}`)
    })
    statsStream.kill()
    await statsStream.done
    const lines = statsStream.stdout().split("\n")
    expect(lines[0]).toBe("host [unikernel: :hello]: success: subscribed")
    expect(lines[1]).toMatch(/^stats: utime \d+\.\d{6} stime \d+\.\d{6} maxrss \d+ /)
    const mem = /^virtual-size (\d+) rss (\d+) text-size (\d+) data-size (\d+) stack-size (\d+) runtime (\d+) cow 0 start (\d+)\.(\d{6})$/.exec(lines[2] ?? "")
    if (mem === null) throw new Error(`no memory line in ${statsStream.stdout()}`)
    const statm = fs.readFileSync(`/proc/${newPid}/statm`, "latin1").trim().split(" ")
    expect(mem[3]).toBe(statm[3]) // text size, in pages: fixed for the process
    const started = fs.statSync(`/proc/${newPid}`, { bigint: true }).ctimeNs
    expect(`${mem[7]}.${mem[8]}`).toBe(`${started / 1_000_000_000n}.${String((started % 1_000_000_000n) / 1000n).padStart(6, "0")}`)

    // destroy: the tender is gone, info is empty, the block is free again
    expect(await ok("destroy", "hello")).toBe("host [unikernel: :hello]: success: destroyed unikernel\n")
    expect(fs.existsSync(`/proc/${newPid}`)).toBe(false)
    expect(await ok("info")).toBe("host [unikernel: :]: no unikernels\n")
    expect(await refused("destroy", "hello")).toBe("albatross-client: [WARNING] host [unikernel: :hello]: command failed destroy: not found\n")
    expect(await ok("destroy-block", "disk")).toBe("host [unikernel: :disk]: success: removed block\n")
  })

  it("refuses a create over an existing name without --force, and replaces it with --force", { timeout: 30_000 }, async () => {
    const image = path.join(root, "plain.hvt")
    expect(await ok("create", "web", image, "--arg=--fake-lines=1")).toBe("host [unikernel: :web]: success: created unikernel\n")
    const again = await client("create", "web", image)
    expect(again.code, shown(again)).toBe(117)
    expect(again.stdout).toBe("albatross-client: [WARNING] host [unikernel: :web]: command failed Unikernel with same name is already running\n")
    expect(await ok("create", "web", image, "--force", "--arg=--fake-lines=2")).toBe("host [unikernel: :web]: success: created unikernel\n")
    // the replacement runs with its own arguments: --json gives the reply in the vectors' value format
    const replies = (await ok("info", "-n", "web", "--json")).trim().split("\n").map((l) => JSON.parse(l) as unknown)
    expect(replies).toEqual([
      {
        header: { version: 5, sequence: "0", name: ":web" },
        payload: {
          success: {
            type: "unikernel_info",
            unikernels: [{ name: ":web", value: expect.objectContaining({ typ: "solo5", argv: ["--fake-lines=2"], memory: 32, numcpus: 1 }) }]
          }
        }
      }
    ])
    expect(await ok("destroy", "web")).toBe("host [unikernel: :web]: success: destroyed unikernel\n")
    expect(await ok("info")).toBe("host [unikernel: :]: no unikernels\n")
  })
})
