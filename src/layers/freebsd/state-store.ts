/** The state file on FreeBSD is handled exactly like on Linux. */
export { makePosixStateStore, StateStoreLive } from "../linux/state-store.js"
