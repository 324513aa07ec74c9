/**
 * Atomic file replacement: write a temporary file in the same directory, optionally fsync it,
 * rename it over the target (and fsync the directory so the rename itself is durable). A
 * reader sees the old or the new content, never a torn one.
 */
import { randomBytes } from "node:crypto"
import { open, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"

export const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`)

export interface AtomicWriteOptions {
  readonly mode: number
  /** fsync the file and the directory (state file); images in the runtime dir skip it. */
  readonly durable: boolean
  /** Called with the target path after the temp file is complete and before the rename. */
  readonly beforeRename?: () => Promise<void>
}

export const writeFileAtomic = async (path: string, data: Uint8Array, options: AtomicWriteOptions): Promise<void> => {
  const tmp = tempPathFor(path)
  try {
    const fh = await open(tmp, "wx", options.mode)
    try {
      await fh.writeFile(data)
      // the umask may have cleared bits of the requested mode
      await fh.chmod(options.mode)
      if (options.durable) await fh.sync()
    } finally {
      await fh.close()
    }
    if (options.beforeRename !== undefined) await options.beforeRename()
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {})
    throw e
  }
  if (options.durable) await syncDirectory(dirname(path))
}

export const syncDirectory = async (dir: string): Promise<void> => {
  const fh = await open(dir, "r")
  try {
    await fh.sync()
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    await fh.close()
  }
}

