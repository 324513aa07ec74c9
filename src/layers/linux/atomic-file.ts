/**
 * Atomic file replacement: write a temporary file in the same directory, optionally fsync it,
 * rename it over the target (and fsync the directory so the rename itself is durable). A
 * reader sees the old or the new content, never a torn one.
 */
import { randomBytes } from "node:crypto"
import { closeSync, fchmodSync, fsync, openSync, renameSync, rmSync, write } from "node:fs"
import { basename, dirname, join } from "node:path"
import { promisify } from "node:util"

const fsyncAsync = promisify(fsync)
const writeAsync = promisify(write)

export const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`)

export interface AtomicWriteOptions {
  readonly mode: number
  /** fsync the file and the directory (state file); images in the runtime dir skip it. */
  readonly durable: boolean
  /** Called with the target path after the temp file is complete and before the rename. */
  readonly beforeRename?: () => Promise<void>
}

const writeAll = async (fd: number, data: Uint8Array): Promise<void> => {
  for (let off = 0; off < data.byteLength; ) off += (await writeAsync(fd, data, off, data.byteLength - off)).bytesWritten
}

/**
 * Only the data write and the fsyncs go to libuv's thread pool; open, chmod, close and rename
 * are synchronous (microseconds each). Why: each thread-pool step needs a free event-loop turn
 * to start the next, and a create runs this alongside the FIFO, console and spawn work, so the
 * eleven steps of an all-asynchronous write took longer than the write itself.
 */
export const writeFileAtomic = async (path: string, data: Uint8Array, options: AtomicWriteOptions): Promise<void> => {
  const tmp = tempPathFor(path)
  let fd: number | undefined
  try {
    fd = openSync(tmp, "wx", options.mode)
    // the umask may have cleared bits of the requested mode
    fchmodSync(fd, options.mode)
    await writeAll(fd, data)
    if (options.durable) await fsyncAsync(fd)
    closeSync(fd)
    fd = undefined
    if (options.beforeRename !== undefined) await options.beforeRename()
    renameSync(tmp, path)
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd)
    try {
      rmSync(tmp, { force: true })
    } catch {
      // the original error is the one to report
    }
    throw e
  }
  if (options.durable) await syncDirectory(dirname(path))
}

const closeQuietly = (fd: number): void => {
  try {
    closeSync(fd)
  } catch {
    // nothing left to do with it
  }
}

export const syncDirectory = async (dir: string): Promise<void> => {
  const fd = openSync(dir, "r")
  try {
    await fsyncAsync(fd)
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    closeSync(fd)
  }
}
