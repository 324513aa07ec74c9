/** HostFacts on FreeBSD: `ifconfig` and `cpuset` required, bridges from `ifconfig -g bridge` (the FreeBSD Network layer). */
export { HostFactsFreeBsdImpl as HostFactsFreeBsd } from "../linux/host-facts.js"
