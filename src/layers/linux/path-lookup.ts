/** Executable lookup like `execvp` / Bos.OS.Cmd.must_exist: a regular file with an execute bit. */
import { constants } from "node:fs"
import { access, stat } from "node:fs/promises"
import { delimiter, join } from "node:path"

export const isExecutableFile = async (path: string): Promise<boolean> => {
  try {
    const s = await stat(path)
    if (!s.isFile()) return false
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first `<dir>/<name>` on PATH that is an executable file; names with a `/` are checked as they are. */
export const findOnPath = async (name: string, path: string = process.env["PATH"] ?? ""): Promise<string | undefined> => {
  if (name.includes("/")) return (await isExecutableFile(name)) ? name : undefined
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir === "" ? "." : dir, name)
    if (await isExecutableFile(candidate)) return candidate
  }
  return undefined
}
