/**
 * DER primitives and typed combinators for the albatross wire format.
 *
 * A small reader/writer of our own rather than asn1js, for measured reasons (see BENCHMARKS.md,
 * "## wire"): asn1js took 42.6 ms just to parse a 1.2 MB state file (target for the whole decode:
 * 4.6 ms), copied every OCTET STRING (a 10 MB image costs 2.6 ms and a second copy of the image),
 * and accepts non-DER forms that the golden vectors require us to reject.
 */
export * from "./codec.js"
export * from "./fault.js"
export * from "./primitives.js"
export * from "./reader.js"
export * from "./time.js"
export * from "./writer.js"
