/**
 * Atomic file replacement: write a temporary file in the same directory, optionally fsync it,
 * rename it over the target (and fsync the directory so the rename itself is durable). A
 * reader sees the old or the new content, never a torn one.
 */
import { randomBytes } from "node:crypto"
import { closeSync, fchmodSync, fdatasync, fsync, openSync, renameSync, rmSync, unlinkSync, write, writeSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { promisify } from "node:util"
import type { Pieces } from "../../wire/pieces.js"

export type { Pieces }

const fsyncAsync = promisify(fsync)
const fdatasyncAsync = promisify(fdatasync)
const writeAsync = promisify(write)

// Unique per process and write: the pid and a random word drawn once (a leftover of an earlier
// process with the same pid, after a reboot, must not collide), then a counter. Drawing random
// bytes per write cost more than the open itself.
const processTag = `${process.pid}.${randomBytes(4).toString("hex")}`
let tempCounter = 0

export const tempPathFor = (path: string): string => join(dirname(path), `.${basename(path)}.${processTag}.${tempCounter++}.tmp`)

/**
 * Data up to this size is written on the event loop: copying it into the page cache takes
 * microseconds, less than the event-loop turn a thread-pool write needs to report back (which,
 * on a busy daemon, was most of a small state write's time). Larger data and paced writes go to
 * the thread pool.
 */
export const SYNC_WRITE_MAX = 256 * 1024

export interface AtomicWriteOptions {
  readonly mode: number
  /** fsync the file and the directory (state file); images in the runtime dir skip it. */
  readonly durable: boolean
  /** Called with the target path after the temp file is complete and before the rename. */
  readonly beforeRename?: () => Promise<void>
  /** Called right after the rename, before the directory's fsync (which then covers its changes too). */
  readonly afterRename?: () => void
  /**
   * Write in pieces of this many bytes, each fdatasync'd before the next: for a large file
   * written in the background, so that there is never much of it dirty in the page cache. On a
   * journalled file system (ext4, data=ordered) another file's fsync waits for such dirty data;
   * written in one piece, a 400 MB state kept every small fsync waiting for seconds.
   */
  readonly syncEvery?: number
}

const writeAll = async (fd: number, data: Uint8Array | Pieces, syncEvery: number | undefined): Promise<void> => {
  if (data instanceof Uint8Array && data.byteLength <= SYNC_WRITE_MAX && syncEvery === undefined) {
    for (let off = 0; off < data.byteLength; ) off += writeSync(fd, data, off, data.byteLength - off)
    return
  }
  let unsynced = 0
  for (const part of data instanceof Uint8Array ? [data] : data.pieces()) {
    for (let off = 0; off < part.byteLength; ) {
      const end = syncEvery === undefined ? part.byteLength : Math.min(part.byteLength, off + syncEvery - unsynced)
      while (off < end) {
        const n = (await writeAsync(fd, part, off, end - off)).bytesWritten
        off += n
        unsynced += n
      }
      if (syncEvery !== undefined && unsynced >= syncEvery) {
        await fdatasyncAsync(fd)
        unsynced = 0
      }
    }
  }
}

/**
 * Only the fsyncs and large data writes go to libuv's thread pool; open, chmod, close and rename
 * are synchronous (microseconds each). Why: each thread-pool step needs a free event-loop turn
 * to start the next, and a create runs this alongside the FIFO, console and spawn work, so the
 * eleven steps of an all-asynchronous write took longer than the write itself.
 */
export const writeFileAtomic = async (path: string, data: Uint8Array | Pieces, options: AtomicWriteOptions): Promise<void> => {
  const tmp = tempPathFor(path)
  let fd: number | undefined
  try {
    fd = openSync(tmp, "wx", options.mode)
    // the umask may have cleared bits of the requested mode
    fchmodSync(fd, options.mode)
    await writeAll(fd, data, options.syncEvery)
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
  options.afterRename?.()
  if (options.durable) await syncDirectory(dirname(path))
}

const closeQuietly = (fd: number): void => {
  try {
    closeSync(fd)
  } catch {
    // nothing left to do with it
  }
}

/** One unlink(2), synchronous; a file already gone is not an error. */
export const unlinkIfPresent = (path: string): void => {
  try {
    unlinkSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
  }
}

/**
 * Appends `data` to `path` (created if missing) and fdatasyncs it: on disk when this resolves.
 * A failure may leave part of `data` at the end of the file.
 */
export const appendDurably = async (path: string, data: Uint8Array | Pieces, mode: number): Promise<void> => {
  const fd = openSync(path, "a", mode)
  try {
    await writeAll(fd, data, undefined)
    await fdatasyncAsync(fd)
  } finally {
    closeSync(fd)
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
