// Writes a Solo5 hvt image (ABI 2, no devices) to the path given: run by bench/daemon/run.mjs through vite-node.
import { writeFileSync } from "node:fs"
import { solo5Image } from "../../test/fixtures/solo5-image.js"

writeFileSync(process.argv[2]!, solo5Image({ target: "hvt", abi: 2, devices: [] }))
