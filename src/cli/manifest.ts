/**
 * The client's check before sending a Solo5 create (spec §5.5): the image's device
 * manifest must declare exactly the `--block` and `--net` unikernel-side names, compared as
 * sets, with the reference's messages. A mismatch is a CLI error (124), before anything is sent.
 */
import { Effect, Either } from "effect"
import { checkManifestDevices, readManifest } from "../domain/solo5-elf.js"
import type { BlockSpec, NetSpec } from "../domain/unikernel.js"
import { cliError, type ClientExit } from "./exit-code.js"

/** `Vmm_unix.manifest_devices_match`: read the manifest, compare its devices with the configuration's. */
export const manifestMatches = (
  image: Uint8Array,
  bridges: ReadonlyArray<NetSpec>,
  blockDevices: ReadonlyArray<BlockSpec>
): Either.Either<void, string> =>
  Either.flatMap(readManifest(image), (manifest) => checkManifestDevices(manifest, { bridges, blockDevices }))

export const checkImageManifest = (
  image: Uint8Array,
  bridges: ReadonlyArray<NetSpec>,
  blockDevices: ReadonlyArray<BlockSpec>
): Effect.Effect<void, ClientExit> => {
  const result = manifestMatches(image, bridges, blockDevices)
  return Either.isLeft(result) ? Effect.fail(cliError(result.left)) : Effect.void
}
