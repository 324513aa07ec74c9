/** FreeBSD's mkfifo(1) takes the same `-m 0640` and reports errors the same way. */
export { FifoLive, makePosixFifo } from "../linux/fifo.js"
