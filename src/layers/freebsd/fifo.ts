/**
 * FreeBSD's mkfifo(1) takes the same `-m 0640` and reports errors the same way. perl is not in
 * the FreeBSD base system, so the long-lived mkfifo helper of the Linux layer is not used here:
 * each FIFO is made by the utility.
 */
export { FifoUtilityLive as FifoLive, makePosixFifo } from "../linux/fifo.js"
