import { lstatSync, mkdirSync, writeFileSync } from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { makeHelperFifo, makePosixFifo, mkfifoErrnoText } from "../../src/layers/linux/fifo.js"
import { makeMkfifoHelper } from "../../src/layers/linux/mkfifo-helper.js"
import { nodeCommandRunner } from "../../src/layers/linux/command-runner.js"
import { makeRecordingRunner } from "../../src/layers/test/command-runner.js"
import { TestFifos } from "../../src/layers/test/fifo.js"
import { requireTool, run, runFailure, tempDir } from "./support.js"

const helper = makeMkfifoHelper()
afterAll(() => helper.close())
// the utility (FreeBSD, and the fallback) and the perl helper (Linux) behave the same
const implementations = [
  { kind: "the mkfifo utility", tools: ["mkfifo"], make: () => makePosixFifo(nodeCommandRunner) },
  { kind: "the perl helper", tools: ["mkfifo", "perl"], make: () => makeHelperFifo(helper, makePosixFifo(nodeCommandRunner)) }
]

describe.each(implementations)("FIFO (spec §5.6) with $kind", ({ tools, make }) => {
  const requireTools = async () => {
    for (const tool of tools) await requireTool(tool, "the FIFO test")
  }

  it("creates a FIFO with mode 0640 whatever the umask, and accepts an existing one", async () => {
    await requireTools()
    const dir = tempDir()
    mkdirSync(`${dir}/fifo`)
    const path = `${dir}/fifo/alice:web`
    const fifo = make()
    const old = process.umask(0o077)
    try {
      await run(fifo.create(path))
    } finally {
      process.umask(old)
    }
    const st = lstatSync(path)
    expect(st.isFIFO()).toBe(true)
    expect(st.mode & 0o777).toBe(0o640)
    await run(fifo.create(path))
    await run(fifo.remove(path))
    await run(fifo.remove(path))
    expect(() => lstatSync(path)).toThrow()
  })

  it("reports a non-FIFO in the way and errno texts", async () => {
    await requireTools()
    const dir = tempDir()
    const fifo = make()
    writeFileSync(`${dir}/plain`, "x")
    expect((await runFailure(fifo.create(`${dir}/plain`))).message).toBe(`file ${dir}/plain exists and is not a fifo`)
    expect((await runFailure(fifo.create(`${dir}/missing/x`))).message).toBe(
      `file ${dir}/missing/x error in mkfifo: No such file or directory`
    )
  })
})

describe("FIFO (spec §5.6)", () => {
  it("runs `mkfifo -m 0640 <path>`", async () => {
    const rec = makeRecordingRunner()
    await run(makePosixFifo(rec.runner).create("/nonexistent-dir/fifo/:x"))
    expect(rec.lines()).toEqual(["mkfifo -m 0640 /nonexistent-dir/fifo/:x"])
    expect(mkfifoErrnoText("mkfifo: cannot create fifo '/a:b': Permission denied\n")).toBe("Permission denied")
    expect(mkfifoErrnoText("mkfifo: /a: File exists\n")).toBe("File exists")
  })

  it("the test layer tracks FIFOs", async () => {
    const t = new TestFifos()
    t.otherFiles.add("/f/x")
    expect((await runFailure(t.service.create("/f/x"))).message).toBe("file /f/x exists and is not a fifo")
    await run(t.service.create("/f/y"))
    expect(t.fifos.has("/f/y")).toBe(true)
  })
})
