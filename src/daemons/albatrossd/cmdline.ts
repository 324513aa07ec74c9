/** Tender command lines (spec §5.3, §5.6). */
import * as path from "node:path"
import type { Name } from "../../domain/name.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"

export const imagePath = (tmpdir: string, name: Name): string => path.join(tmpdir, `${name.toString()}.img`)
export const fifoPath = (tmpdir: string, name: Name): string => path.join(tmpdir, "fifo", name.toString())


export interface TapAssignment {
  readonly netif: string
  readonly bridge: string
  readonly tap: string
  readonly mac: string
}

/** The value of the injected `--name=` (spec §2.5). */
export const nameArgument = (name: Name, dropPath: boolean): string =>
  dropPath && name.label !== null ? name.label : name.toString()

export interface Solo5Line {
  readonly os: "linux" | "freebsd"
  readonly tender: string
  readonly tmpdir: string
  readonly blockDir: string
  readonly dropPath: boolean
}

export const solo5Argv = (line: Solo5Line, name: Name, config: UnikernelConfig, taps: ReadonlyArray<TapAssignment>): ReadonlyArray<string> => {
  const cpus = config.cpuids.join(",")
  const argv: Array<string> = line.os === "linux" ? ["taskset", "-c", cpus] : ["cpuset", "-l", cpus]
  argv.push(line.tender, `--mem=${config.memory}`)
  for (const t of taps) argv.push(`--net:${t.netif}=${t.tap}`)
  for (const t of taps) argv.push(`--net-mac:${t.netif}=${t.mac}`)
  for (const b of config.blockDevices) argv.push(`--block:${b.name}=${path.join(line.blockDir, name.blockName(b.device ?? b.name).toString())}`)
  for (const b of config.blockDevices) if (b.sectorSize !== null) argv.push(`--block-sector-size:${b.name}=${b.sectorSize}`)
  argv.push("--", imagePath(line.tmpdir, name))
  if (config.addName) argv.push(`--name=${nameArgument(name, line.dropPath)}`)
  if (config.argv !== null) argv.push(...config.argv)
  return argv
}
