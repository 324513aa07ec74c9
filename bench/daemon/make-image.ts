// Writes a Solo5 hvt image (ABI 2, no devices) to the path given: run by bench/daemon/run.mjs
// through vite-node. A second argument pads it with that many KiB of random bytes (as
// incompressible as a real unikernel's code), for runs with realistic image sizes.
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { solo5Image } from "../../test/fixtures/solo5-image.js"

const padKiB = Number(process.argv[3] ?? 0)
writeFileSync(process.argv[2]!, solo5Image({ target: "hvt", abi: 2, devices: [], payload: padKiB > 0 ? randomBytes(padKiB * 1024) : undefined }))
