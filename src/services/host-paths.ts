/**
 * Where albatrossd keeps its files (spec §1.4): the runtime `tmpdir` (images, FIFOs, sockets)
 * and the persistent `dbdir` (block devices, state, tenders). Every host service that builds a
 * path reads it from here, so a test points all of them at one temporary directory.
 */
import { Context, Layer } from "effect"
import type { Name } from "../domain/name.js"

export interface HostPathsConfig {
  readonly tmpdir: string
  readonly dbdir: string
}

export class HostPaths extends Context.Tag("albatross/HostPaths")<HostPaths, HostPathsConfig>() {
  static readonly layer = (config: HostPathsConfig): Layer.Layer<HostPaths> => Layer.succeed(HostPaths, config)
}

/** `<tmpdir>/<name>.img` */
export const imagePath = (paths: HostPathsConfig, name: Name): string => `${paths.tmpdir}/${name.toString()}.img`
/** `<tmpdir>/fifo/<name>` */
export const fifoPath = (paths: HostPathsConfig, name: Name): string => `${paths.tmpdir}/fifo/${name.toString()}`
/** `<dbdir>/block` */
export const blockDir = (paths: HostPathsConfig): string => `${paths.dbdir}/block`
/** `<dbdir>/block/<block name>` */
export const blockPath = (paths: HostPathsConfig, name: Name): string => `${blockDir(paths)}/${name.toString()}`
/** `<dbdir>/state` */
export const statePath = (paths: HostPathsConfig): string => `${paths.dbdir}/state`
