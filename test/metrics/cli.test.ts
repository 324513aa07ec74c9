/** `--influx` on the built daemons' command lines: a bad HOST[:PORT] stops the start with the reason (exit 1). */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const bin = (name: string) => path.resolve(__dirname, `../../dist/bin/${name}.js`)

describe("--influx on the command lines", () => {
  for (const name of ["albatrossd", "albatross-console", "albatross-stats"]) {
    it(`${name} refuses a bad HOST[:PORT]`, () => {
      expect(fs.existsSync(bin(name)), `needs ${bin(name)}: run 'npm run build' first`).toBe(true)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "metrics-cli-"))
      const r = spawnSync(process.execPath, [bin(name), "--tmpdir", dir, "--influx", "127.0.0.1:99999"], { encoding: "utf8", timeout: 20_000 })
      fs.rmSync(dir, { recursive: true, force: true })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`--influx: invalid host and port "127.0.0.1:99999" (expected HOST[:PORT])`)
    })
  }
})
