/** Images on FreeBSD are handled exactly like on Linux (zlib, SHA-256, ELF notes, atomic write). */
export { ImageLive, posixImage } from "../linux/image.js"
