/**
 * The persisted state `<dbdir>/state` (spec §6.6). Read: variants [0] to [6]; written: [6] only.
 *
 * The reference reads the entries into a trie (a second entry for the same trie key — `foo` and
 * `foo:` are the same key — is an assertion failure there, a typed error here) and writes them
 * in trie pre-order. We do the same: decoded entries come back in trie pre-order, and the
 * encoder writes them in that order whatever order it is given.
 */
import type { Name } from "../../domain/name.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import type { NamedConfig, PersistedState, StatePolicy } from "../../domain/wire.js"
import {
  choice,
  type Codec,
  encodeAll,
  encodedOnce,
  encodePieces,
  explicit,
  fail,
  int,
  legacy,
  map,
  nul,
  refused,
  sequence,
  sequenceOf,
  Writer
} from "../der/index.js"
import { coalesced, type Pieces } from "../pieces.js"
import { NameCodec, Policy } from "./common.js"
import { Config, ConfigV0, ConfigV1, ConfigV2, ConfigV3, ConfigV4 } from "./config.js"

/** Unikernels<T> ::= SEQUENCE OF SEQUENCE { name UTF8String, config T } */
const Unikernels = (config: Codec<UnikernelConfig>): Codec<ReadonlyArray<NamedConfig>> =>
  sequenceOf(sequence({ name: NameCodec, config }))

/** Policies ::= SEQUENCE OF SEQUENCE { name UTF8String, policy Policy } */
const Policies: Codec<ReadonlyArray<StatePolicy>> = sequenceOf(sequence({ name: NameCodec, policy: Policy }))

/**
 * The configuration as written (variant [6]): each configuration object is encoded once while it
 * lives, unless its encoding is over 64 KiB (see `encodedOnce`); a daemon state with 200 small
 * unikernels encoded in 0.48 ms, with this 0.28-0.31 ms (the rest: copying into the writer).
 */
const ConfigWritten = encodedOnce(Config, 64 * 1024)

const withoutPolicies = (unikernels: ReadonlyArray<NamedConfig>) => ({ unikernels, policies: [] })

/** Pre-order of the trie: label by label, a node before its children. */
const compareKeys = (ka: ReadonlyArray<string>, kb: ReadonlyArray<string>): number => {
  const n = Math.min(ka.length, kb.length)
  for (let i = 0; i < n; i++) {
    const x = ka[i]!
    const y = kb[i]!
    if (x !== y) return x < y ? -1 : 1
  }
  return ka.length - kb.length
}

const trieOrder = <E extends { readonly name: Name }>(what: string, entries: ReadonlyArray<E>): ReadonlyArray<E> => {
  const keyed = entries.map((entry) => ({ entry, key: entry.name.key() }))
  let sorted = true
  for (let i = 1; i < keyed.length && sorted; i++) sorted = compareKeys(keyed[i - 1]!.key, keyed[i]!.key) < 0
  if (sorted) return entries // the common case: written by us or the reference, already in trie order
  keyed.sort((a, b) => compareKeys(a.key, b.key))
  for (let i = 1; i < keyed.length; i++) {
    if (compareKeys(keyed[i - 1]!.key, keyed[i]!.key) === 0) fail(`${what}: two entries for ${keyed[i]!.entry.name.toString()}`)
  }
  return keyed.map((k) => k.entry)
}

const normalise = (s: { readonly unikernels: ReadonlyArray<NamedConfig>; readonly policies: ReadonlyArray<StatePolicy> }): PersistedState => ({
  unikernels: trieOrder("unikernels", s.unikernels),
  policies: trieOrder("policies", s.policies)
})

type Entries = { readonly unikernels: ReadonlyArray<NamedConfig>; readonly policies: ReadonlyArray<StatePolicy> }

/** State ::= CHOICE { [0] Unikernels<ConfigV1>, [1] Unikernels<ConfigV0>, [2] Unikernels<ConfigV2>,
 *    [3] Unikernels<ConfigV3>, [4] SEQUENCE { Unikernels<ConfigV3>, Policies },
 *    [5] SEQUENCE { Unikernels<ConfigV4>, Policies }, [6] SEQUENCE { Unikernels<Config>, Policies },
 *    [7] NULL -- reserved, rejected } */
const StateChoice: Codec<Entries> = choice<Entries>("State", [
  legacy("unikernels-v1", explicit(0, Unikernels(ConfigV1)), withoutPolicies),
  legacy("unikernels-v0", explicit(1, Unikernels(ConfigV0)), withoutPolicies),
  legacy("unikernels-v2", explicit(2, Unikernels(ConfigV2)), withoutPolicies),
  legacy("unikernels-v3", explicit(3, Unikernels(ConfigV3)), withoutPolicies),
  legacy("unikernels-v3-policies", explicit(4, sequence({ unikernels: Unikernels(ConfigV3), policies: Policies })), (s) => s),
  legacy("unikernels-v4-policies", explicit(5, sequence({ unikernels: Unikernels(ConfigV4), policies: Policies })), (s) => s),
  {
    label: "unikernels-policies",
    codec: explicit(6, sequence({ unikernels: Unikernels(ConfigWritten), policies: Policies })),
    writes: () => true
  },
  refused("reserved", explicit(7, nul), "not yet implemented")
])

export const State: Codec<PersistedState> = map(StateChoice, normalise, normalise)

const StateEntry = sequence({ name: NameCodec, config: ConfigWritten })

const derHeader = (tag: number, contentLength: number): Uint8Array => {
  const w = new Writer(8)
  w.header(tag, contentLength)
  return w.result()
}

/** Byte strings (images) longer than this stay pieces of their own in `statePieces` and journal records. */
export const KEEP_ABOVE = 64 * 1024

/**
 * The encoding of `State` (variant [6]) as a sequence of pieces: the same bytes as `State`'s
 * encoder, without ever holding all of them in one buffer (a state with real images is hundreds
 * of MB, and a single buffer for it doubled the daemon's memory while it wrote). Each entry is
 * encoded once; its image is a piece of its own, the daemon's own array, never copied. The small
 * bytes between images are joined into pieces of at most about 128 KiB (one write each).
 */
export const statePieces = (state: PersistedState): Pieces => {
  const { unikernels, policies } = normalise(state)
  let entries = 0
  const encoded = unikernels.map((u) => {
    const parts = encodePieces(StateEntry, u, KEEP_ABOVE, 2048)
    for (const p of parts) entries += p.length
    return parts
  })
  const policyBytes = encodeAll(Policies, policies, 1024)
  const unikernelsHeader = derHeader(0x30, entries)
  const inner = unikernelsHeader.length + entries + policyBytes.length
  const innerHeader = derHeader(0x30, inner)
  const outerHeader = derHeader(0xa6, innerHeader.length + inner)
  return {
    length: outerHeader.length + innerHeader.length + inner,
    pieces: () =>
      coalesced(
        (function* () {
          yield outerHeader
          yield innerHeader
          yield unikernelsHeader
          for (const parts of encoded) yield* parts
          yield policyBytes
        })(),
        KEEP_ABOVE
      )
  }
}

/**
 * The state journal, `<dbdir>/state.journal`: a file of albatross-ts, not of the reference (the
 * state store says when it is written and how it is applied). It describes the whole state
 * relative to the `state` file: every unikernel's name, the configuration of those whose entry
 * changed since that file was written, and every policy.
 *
 * StateJournal ::= SEQUENCE { version INTEGER (1), names SEQUENCE OF UTF8String,
 *    changed Unikernels<Config>, policies Policies }
 */
export interface StateJournal {
  readonly version: number
  readonly names: ReadonlyArray<Name>
  readonly changed: ReadonlyArray<NamedConfig>
  readonly policies: ReadonlyArray<StatePolicy>
}

export const StateJournal: Codec<StateJournal> = sequence({
  version: int,
  names: sequenceOf(NameCodec),
  changed: Unikernels(ConfigWritten),
  policies: Policies
})
