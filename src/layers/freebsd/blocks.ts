/** Block files on FreeBSD are plain files in `<dbdir>/block`, handled exactly like on Linux. */
export { BlocksLive, makePosixBlocks } from "../linux/blocks.js"
