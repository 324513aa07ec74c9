/**
 * Block device files under `<dbdir>/block` (spec §4.2 step 2, §5.8, §4.4 Block_*).
 * Files are named by the block's Name (`alice:data`), directory 0700, files 0600.
 */
import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { Name } from "../domain/name.js"

export class BlockError extends Data.TaggedError("BlockError")<{ readonly message: string }> {}

export interface BlockFile {
  readonly name: Name
  /** Size in MB. */
  readonly size: number
}

/** Largest chunk `dump` emits (spec §4.4 Block_dump). */
export const DUMP_CHUNK_MAX = 65536

export interface BlocksService {
  /** `<dbdir>/block/<name>`. */
  readonly path: (name: Name) => string
  /**
   * Regular files whose size is a non-zero multiple of 1 MiB and whose file name parses as a
   * Name; the others are logged as warnings (`size is either 0 or not MB aligned`, the name
   * error) and skipped. A missing directory is a warning and no blocks.
   */
  readonly discover: Effect.Effect<ReadonlyArray<BlockFile>>
  /**
   * `file already exists`; creates `<dbdir>/block` (0700) if missing; writes `data` (mode 0600);
   * truncates to `size` MB (`overflow while computing bytes` for size <= 0, after the empty file
   * was created, as the reference does).
   */
  readonly create: (name: Name, size: number, data: Option.Option<Uint8Array>) => Effect.Effect<void, BlockError>
  readonly remove: (name: Name) => Effect.Effect<void, BlockError>
  /**
   * Replaces the content with `chunks` (inflated when `compressed`): the file is recreated empty
   * first; more than `size` MB of (inflated) data fails with `stream exceeds size`; finally the
   * file is truncated or extended to exactly `size` MB.
   */
  readonly set: <E, R>(
    name: Name,
    size: number,
    compressed: boolean,
    chunks: Stream.Stream<Uint8Array, E, R>
  ) => Effect.Effect<void, BlockError | E, R>
  /** The file's bytes, deflated at `level` when level > 0, in chunks of at most DUMP_CHUNK_MAX bytes. */
  readonly dump: (name: Name, level: number) => Stream.Stream<Uint8Array, BlockError>
}

export class Blocks extends Context.Tag("albatross/Blocks")<Blocks, BlocksService>() {}
