/** Exit codes of the reference client (spec §11.6). */
import { Data } from "effect"

export const ExitCode = {
  success: 0,
  /** certificate chain could not be validated locally */
  chainFailure: 116,
  /** the daemon answered with a `Failure` */
  remoteCommandFailed: 117,
  httpFailed: 118,
  localAuthenticationFailed: 119,
  remoteAuthenticationFailed: 120,
  /** read/write failure, unexpected message, `--socket -` */
  communicationFailed: 121,
  connectFailed: 122,
  /** bad arguments, failed validation, `Msg` errors */
  cliError: 124,
  internalError: 125
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * The client's single failure type: what to print (already formatted as the reference's
 * log line, or empty when it was printed) and the exit code.
 */
export class ClientExit extends Data.TaggedError("ClientExit")<{
  readonly code: ExitCode
  /** Logged at error level before exiting, unless empty. */
  readonly message: string
}> {}

export const cliError = (message: string): ClientExit => new ClientExit({ code: ExitCode.cliError, message })
