/** The perl spawn helper (src/layers/linux/spawn-helper.ts) beyond what the shared spawn tests cover. */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { afterEach, describe, expect, it } from "vitest"
import type { ProcessExit } from "../../src/domain/process-exit.js"
import { HelperUnavailable } from "../../src/layers/linux/mkfifo-helper.js"
import { makeSpawnHelper, type SpawnHelper, SpawnRefused } from "../../src/layers/linux/spawn-helper.js"
import { spawnThroughHelper } from "../../src/layers/linux/tender.js"
import { readFifo, requireTool, run, runFailure, tempDir } from "./support.js"

const helpers: Array<SpawnHelper> = []
afterEach(() => {
  for (const h of helpers.splice(0)) h.close()
})
const newHelper = (perl?: string, onOrphans?: (pids: ReadonlyArray<number>) => void) => {
  const h = makeSpawnHelper(perl, onOrphans)
  helpers.push(h)
  return h
}

/** A FIFO with a reader that collects everything until the last writer closes it. */
const fifoWithReader = async () => {
  await requireTool("mkfifo", "the spawn helper test")
  const path = `${tempDir()}/console`
  execFileSync("mkfifo", [path])
  return { path, done: readFifo(path).done }
}

/** Running: neither gone nor a zombie (an orphan's new parent, e.g. a container's pid 1, may never reap it). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1")
    return stat[stat.lastIndexOf(")") + 2] !== "Z"
  } catch {
    return false
  }
}

/** Waits until `pid` runs the program `comm` (an ignored signal stays ignored across exec). */
const execed = async (pid: number, comm: string): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    if (readFileSync(`/proc/${pid}/comm`, "latin1").trim() === comm) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${pid} did not exec ${comm} within 5 s`)
}

describe("spawn helper", () => {
  it("passes every argument byte for byte (empty, spaces, non-ASCII) and uses PATH", async () => {
    await requireTool("perl", "the spawn helper test")
    const fifo = await fifoWithReader()
    const p = await newHelper().spawn(["sh", "-c", 'printf "%s|" "$@"', "sh", "", "a b", "é", ""], fifo.path)
    expect(await p.exit).toEqual({ _tag: "Exit", code: 0 })
    expect(await fifo.done).toBe("|a b|é||")
  })

  it("delivers SIGTERM and SIGKILL, reports them as signals, and ignores signals once the process ended", async () => {
    await requireTool("perl", "the spawn helper test")
    const helper = newHelper()
    const fifo = await fifoWithReader()
    const a = await helper.spawn(["sleep", "100"], fifo.path)
    const b = await helper.spawn(["sh", "-c", "trap '' TERM; exec sleep 100"], fifo.path)
    expect(a.pid).not.toBe(b.pid)
    // the pid is announced at the fork: the trap is set once sh has run up to its exec of sleep
    await execed(b.pid, "sleep")
    a.signal("SIGTERM")
    expect(await a.exit).toEqual({ _tag: "Signal", signal: 15 })
    a.signal("SIGKILL") // ended: nothing is sent anywhere
    b.signal("SIGTERM")
    const ignored = await Promise.race([b.exit, new Promise<"running">((r) => setTimeout(() => r("running"), 300))])
    expect(ignored).toBe("running")
    b.signal("SIGKILL")
    expect(await b.exit).toEqual({ _tag: "Signal", signal: 9 })
    await fifo.done
  })

  it("runs many spawns at once, each answered with its own pid and exit", async () => {
    await requireTool("perl", "the spawn helper test")
    const helper = newHelper()
    const fifo = await fifoWithReader()
    const ps = await Promise.all(Array.from({ length: 20 }, (_, i) => helper.spawn(["sh", "-c", `exit ${i}`], fifo.path)))
    expect(new Set(ps.map((p) => p.pid)).size).toBe(20)
    const exits = await Promise.all(ps.map((p) => p.exit))
    expect(exits).toEqual(Array.from({ length: 20 }, (_, i): ProcessExit => ({ _tag: "Exit", code: i })))
    await fifo.done
  })

  it("reports open and exec errors by errno", async () => {
    await requireTool("perl", "the spawn helper test")
    const helper = newHelper()
    const fifo = await fifoWithReader()
    await expect(helper.spawn(["true"], `${fifo.path}.missing`)).rejects.toEqual(new SpawnRefused("open", 2))
    await expect(helper.spawn(["/nonexistent/tender"], fifo.path)).rejects.toEqual(new SpawnRefused("exec", 2))
    await expect(helper.spawn([`${tempDir()}`], fifo.path)).rejects.toEqual(new SpawnRefused("exec", 13))
    // the helper still works after refusals
    const p = await helper.spawn(["true"], fifo.path)
    expect(await p.exit).toEqual({ _tag: "Exit", code: 0 })
    await fifo.done
  })

  it("an exec that fails after the executable check: told to onExecFailed, then exit code 127", async () => {
    await requireTool("perl", "the spawn helper test")
    const failures: Array<[ReadonlyArray<string>, number]> = []
    const h = makeSpawnHelper("perl", undefined, (argv, errno) => failures.push([argv, errno]))
    helpers.push(h)
    const fifo = await fifoWithReader()
    // an executable file whose interpreter does not exist: execve fails with ENOENT
    const script = `${tempDir()}/tender`
    writeFileSync(script, "#!/nonexistent/interpreter\n", { mode: 0o755 })
    const p = await h.spawn([script, "--x"], fifo.path)
    expect(await p.exit).toEqual({ _tag: "Exit", code: 127 })
    expect(failures).toEqual([[[script, "--x"], 2]])
    await fifo.done
  })

  it("when the helper dies, running tenders are reported once gone, and spawns fall back to Node", async () => {
    await requireTool("perl", "the spawn helper test")
    const orphans: Array<ReadonlyArray<number>> = []
    const helper = newHelper("perl", (pids) => orphans.push(pids))
    const fifo = await fifoWithReader()
    const p = await helper.spawn(["sleep", "100"], fifo.path)
    const helperPid = helper.pid()
    expect(helperPid).toBeGreaterThan(0)
    process.kill(helperPid!, "SIGKILL")
    for (let i = 0; i < 200 && orphans.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(orphans).toEqual([[p.pid]])
    expect(alive(p.pid)).toBe(true)
    // signals now go straight to the pid
    p.signal("SIGTERM")
    expect(await p.exit).toEqual({ _tag: "Signal", signal: 9 })
    expect(alive(p.pid)).toBe(false)
    await fifo.done
    const second = await fifoWithReader()
    await expect(helper.spawn(["true"], second.path)).rejects.toBeInstanceOf(HelperUnavailable)
    const h = await run(spawnThroughHelper(helper, ["sh", "-c", "echo fallback; exit 3"], second.path))
    expect(await run(h.exit)).toEqual({ _tag: "Exit", code: 3 })
    expect(await second.done).toBe("fallback\n")
  })

  it("falls back to Node's spawn when perl cannot be started, with the same error texts", async () => {
    const helper = newHelper("/nonexistent/perl")
    const fifo = await fifoWithReader()
    const h = await run(spawnThroughHelper(helper, ["sh", "-c", "echo via node; exit 5"], fifo.path))
    expect(await run(h.exit)).toEqual({ _tag: "Exit", code: 5 })
    expect((await runFailure(spawnThroughHelper(helper, ["/nonexistent/x", "-v"], fifo.path))).message).toBe(
      "cmd /nonexistent/x -v exits: No such file or directory"
    )
    expect(await fifo.done).toBe("via node\n")
  })
})
