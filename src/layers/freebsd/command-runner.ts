/** FreeBSD runs commands exactly like Linux: node:child_process with argv vectors. */
export { CommandRunnerLive, nodeCommandRunner } from "../linux/command-runner.js"
