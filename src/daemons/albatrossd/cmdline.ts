/** File names of a unikernel (spec §1.4) and its tap assignments; command lines are in services/tender-argv.ts. */
import * as path from "node:path"
import type { Name } from "../../domain/name.js"

export const imagePath = (tmpdir: string, name: Name): string => path.join(tmpdir, `${name.toString()}.img`)
export const fifoPath = (tmpdir: string, name: Name): string => path.join(tmpdir, "fifo", name.toString())

export interface TapAssignment {
  readonly netif: string
  readonly bridge: string
  readonly tap: string
  readonly mac: string
}

