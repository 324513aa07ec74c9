/**
 * `strerror` texts for the errno codes Node reports (`ENOENT`), because the reference's error
 * messages embed the C library's text (`No such file or directory`), while Node only offers
 * libuv's lower-case variants. Unknown codes fall back to libuv's text, capitalised.
 */
import { getSystemErrorMap } from "node:util"

const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  ENAMETOOLONG: "File name too long",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  EDQUOT: "Disk quota exceeded",
  EOVERFLOW: "Value too large for defined data type"
}

const libuvText = (code: string): string | undefined => {
  for (const [name, message] of getSystemErrorMap().values()) {
    if (name === code) return message.charAt(0).toUpperCase() + message.slice(1)
  }
  return undefined
}

/** The errno text of a Node system error (`err.code`), else the error's message. */
export const errnoText = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return STRERROR[error.code] ?? libuvText(error.code) ?? error.code
  }
  return error instanceof Error ? error.message : String(error)
}
