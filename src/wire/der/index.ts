/** DER primitives and typed combinators (see codec.ts for why a small hand-written reader/writer). */
export * from "./codec.js"
export * from "./fault.js"
export * from "./primitives.js"
export * from "./reader.js"
export * from "./time.js"
export * from "./writer.js"
