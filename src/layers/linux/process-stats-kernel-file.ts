/**
 * Re-readable kernel files (procfs, sysfs) through a descriptor kept open: each read is one
 * pread at offset 0, which makes the kernel regenerate the contents. Cheaper than
 * open/read/close per tick, and a /proc descriptor stays bound to its process: once the
 * process is gone, reads fail (ESRCH) instead of silently reading a reused pid.
 */
import * as fs from "node:fs"

/** One buffer for all reads: the daemon samples sequentially on one thread. */
let shared = Buffer.allocUnsafe(16384)

export class KernelFile {
  private constructor(
    readonly path: string,
    private fd: number
  ) {}

  static open(path: string): KernelFile {
    return new KernelFile(path, fs.openSync(path, fs.constants.O_RDONLY))
  }

  /**
   * Reads the whole current contents into the shared buffer and returns its length; valid until
   * the next read of any KernelFile (parse it at once, see `buffer`).
   */
  readBytes(): number {
    if (this.fd < 0) throw new Error(`${this.path}: closed`)
    for (;;) {
      const n = fs.readSync(this.fd, shared, 0, shared.length, 0)
      if (n < shared.length) return n
      shared = Buffer.allocUnsafe(shared.length * 2)
    }
  }

  /** The buffer `readBytes` filled. */
  static get buffer(): Buffer {
    return shared
  }

  /** The whole current contents as text (latin1: these files are ASCII, command names arbitrary bytes). */
  read(): string {
    const n = this.readBytes()
    return shared.toString("latin1", 0, n)
  }

  close(): void {
    closeQuietly(this.fd)
    this.fd = -1
  }
}

/** Closes a read-only descriptor if open (`fd >= 0`); a failed close leaves nothing to do. */
export const closeQuietly = (fd: number): void => {
  if (fd < 0) return
  try {
    fs.closeSync(fd)
  } catch {
    // nothing to do about a failed close of a read-only descriptor
  }
}

export const errorText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException
  return err.code !== undefined ? `${err.code}: ${err.message}` : String(e)
}
