/** Replies echo the request header verbatim (spec §4.3); these build them. */
import type { Success } from "../domain/reply.js"
import { Name } from "../domain/name.js"
import type { Header, Payload, Wire } from "../domain/wire.js"

export const reply = (header: Header, payload: Payload): Wire => ({ header, payload })

export const failure = (header: Header, message: string): Wire => reply(header, { _tag: "Failure", message })

export const success = (header: Header, value: Success): Wire => reply(header, { _tag: "Success", success: value })

export const successString = (header: Header, message: string): Wire => success(header, { _tag: "String", message })

export const successEmpty = (header: Header): Wire => success(header, { _tag: "Empty" })

/**
 * The header used to answer a frame that could not be decoded: its own header is unknown,
 * so the reply carries version 5, sequence 0 and the root name.
 */
export const UNKNOWN_REQUEST_HEADER: Header = {
  version: 5,
  sequence: 0n,
  name: Name.root
}
