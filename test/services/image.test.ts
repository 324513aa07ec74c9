import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import { deflateSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { posixImage } from "../../src/layers/linux/image.js"
import { TestImages } from "../../src/layers/test/image.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { run, runFailure, tempDir } from "./support.js"

const devices = [{ kind: "block", name: "disk" }] as const

describe("image inspection (spec §5.4 steps 1-3)", () => {
  it("inflates, digests and reads the notes", async () => {
    const img = solo5Image({ target: "spt", abi: 2, devices })
    const r = await run(posixImage.inspect(true, deflateSync(img, { level: 6 })))
    expect(r.image).toEqual(img)
    expect(Buffer.from(r.digest).toString("hex")).toBe(createHash("sha256").update(img).digest("hex"))
    expect(r.target).toBe("spt")
    expect(r.abi).toBe(2)
    expect(r.manifest).toEqual(devices)
    expect((await run(posixImage.inspect(false, img))).digest).toEqual(r.digest)
  })

  it("reports the reference's texts", async () => {
    expect((await runFailure(posixImage.inspect(true, new Uint8Array([1, 2, 3])))).message).toMatch(/^failed to uncompress: /)
    expect((await runFailure(posixImage.inspect(false, solo5Image({ target: "muen" })))).message).toBe("unsupported solo5 target muen")
    expect((await runFailure(posixImage.inspect(false, solo5Image({ target: 17 })))).message).toBe(
      "unsupported solo5 target unknown (17)"
    )
    expect((await runFailure(posixImage.inspect(false, new Uint8Array(10)))).message).toBe(
      "failed to read the Solo5 ABI: not an ELF file"
    )
  })

  it("deflates at a level and inflates back", async () => {
    const data = new Uint8Array(100_000).fill(7)
    const z = await run(posixImage.deflate(data, 9))
    expect(z.length).toBeLessThan(1000)
    expect(z[0]).toBe(0x78) // zlib header, window bits 15
    expect(await run(posixImage.inflate(z))).toEqual(data)
  })
})

describe("image files", () => {
  it("writes atomically with mode 0644 despite the umask, replaces, and removes", async () => {
    const dir = tempDir()
    const path = `${dir}/alice:web.img`
    const old = process.umask(0o077)
    try {
      await run(posixImage.write(path, new Uint8Array([1, 2, 3])))
      await run(posixImage.write(path, new Uint8Array([4, 5])))
    } finally {
      process.umask(old)
    }
    expect(statSync(path).mode & 0o777).toBe(0o644)
    expect([...readFileSync(path)]).toEqual([4, 5])
    expect(readdirSync(dir)).toEqual(["alice:web.img"])
    await run(posixImage.remove(path))
    await run(posixImage.remove(path)) // already gone: not an error
    expect(readdirSync(dir)).toEqual([])
    mkdirSync(`${dir}/sub`)
    expect((await runFailure(posixImage.remove(`${dir}/sub`))).message).toBe(`file ${dir}/sub: Is a directory`)
    expect((await runFailure(posixImage.write(`${dir}/nodir/x.img`, new Uint8Array(1)))).message).toBe(
      `file ${dir}/nodir/x.img: No such file or directory`
    )
  })

  it("the test layer keeps written images in memory", async () => {
    const t = new TestImages()
    await run(t.service.write("/run/albatross/:a.img", new Uint8Array([9])))
    expect(t.files.get("/run/albatross/:a.img")).toEqual(new Uint8Array([9]))
    await run(t.service.remove("/run/albatross/:a.img"))
    expect(t.files.size).toBe(0)
  })
})
