/**
 * Vitest global setup: every test run gets its own temporary directory (TMPDIR, inherited by the
 * test processes and the daemons they start), removed when the run ends, so that temporary
 * directories a test leaves behind (for instance after a failure) do not pile up in /tmp.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export default function setup(): () => void {
  const previous = process.env["TMPDIR"]
  const dir = mkdtempSync(join(tmpdir(), "albatross-tests-"))
  process.env["TMPDIR"] = dir
  return () => {
    rmSync(dir, { recursive: true, force: true })
    if (previous === undefined) delete process.env["TMPDIR"]
    else process.env["TMPDIR"] = previous
  }
}
