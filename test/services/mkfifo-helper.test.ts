import { lstatSync, mkdirSync, writeFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { makeHelperFifo, makePosixFifo } from "../../src/layers/linux/fifo.js"
import { nodeCommandRunner } from "../../src/layers/linux/command-runner.js"
import { errnoNumberText, makeMkfifoHelper } from "../../src/layers/linux/mkfifo-helper.js"
import { makeRecordingRunner } from "../../src/layers/test/command-runner.js"
import { requireTool, run, runFailure, tempDir } from "./support.js"

describe("FIFO through the long-lived perl helper", () => {
  it("creates FIFOs with mode 0640 whatever the umask, reports errno texts, accepts an existing FIFO", async () => {
    await requireTool("perl", "the mkfifo helper test")
    await requireTool("mkfifo", "the mkfifo helper test")
    const dir = tempDir()
    mkdirSync(`${dir}/fifo`)
    const helper = makeMkfifoHelper()
    const fifo = makeHelperFifo(helper, makePosixFifo(nodeCommandRunner))
    const old = process.umask(0o077)
    try {
      // several in flight at once: replies are matched in order
      await Promise.all(["a", "b", "c"].map((n) => run(fifo.create(`${dir}/fifo/alice:${n}`))))
    } finally {
      process.umask(old)
    }
    for (const n of ["a", "b", "c"]) {
      const st = lstatSync(`${dir}/fifo/alice:${n}`)
      expect(st.isFIFO()).toBe(true)
      expect(st.mode & 0o777).toBe(0o640)
    }
    await run(fifo.create(`${dir}/fifo/alice:a`))
    writeFileSync(`${dir}/plain`, "x")
    expect((await runFailure(fifo.create(`${dir}/plain`))).message).toBe(`file ${dir}/plain exists and is not a fifo`)
    expect((await runFailure(fifo.create(`${dir}/missing/x`))).message).toBe(
      `file ${dir}/missing/x error in mkfifo: No such file or directory`
    )
    helper.close()
  })

  it("falls back to the mkfifo utility when the helper cannot start", async () => {
    const rec = makeRecordingRunner()
    const fifo = makeHelperFifo(makeMkfifoHelper("/nonexistent/perl"), makePosixFifo(rec.runner))
    await run(fifo.create("/nonexistent-dir/fifo/:x"))
    await run(fifo.create("/nonexistent-dir/fifo/:y"))
    expect(rec.lines()).toEqual(["mkfifo -m 0640 /nonexistent-dir/fifo/:x", "mkfifo -m 0640 /nonexistent-dir/fifo/:y"])
  })

  it("maps errno numbers to the C library's texts", () => {
    expect(errnoNumberText(2)).toBe("No such file or directory")
    expect(errnoNumberText(13)).toBe("Permission denied")
  })
})
