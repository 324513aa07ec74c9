/**
 * Productions shared by several parts of the grammar (spec §6.5, §6.6): Name, Typ, FailBehav,
 * Policy, BlockSpec, NetSpec, and the set conventions.
 */
import { Either } from "effect"
import { Name, parsePath } from "../../domain/name.js"
import type { Policy as PolicyT } from "../../domain/policy.js"
import type { BlockSpec as BlockSpecT, FailBehaviour as FailBehaviourT, NetSpec as NetSpecT, Typ as TypT } from "../../domain/unikernel.js"
import {
  alternative,
  bigInt,
  choice,
  type Codec,
  explicit,
  fail,
  int,
  mac,
  map,
  nul,
  optional,
  sequence,
  sequenceOf,
  setOf,
  utf8,
  variant
} from "../der/index.js"

/** An int set as the reference keeps it (OCaml `IS`): ascending, no duplicates. */
export const intSet = (xs: ReadonlyArray<number>): ReadonlyArray<number> => {
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i - 1]! < xs[i]!)) return [...new Set(xs)].sort((a, b) => a - b)
  }
  return xs
}

/** Code point order, which is the byte order of the UTF-8 encodings (OCaml compares bytes). */
const compareCodePoints = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(j)!
    if (x !== y) return x - y
    i += x > 0xffff ? 2 : 1
    j += y > 0xffff ? 2 : 1
  }
  return a.length - i - (b.length - j)
}

/** A string set (OCaml `String_set`): ascending bytewise, no duplicates. */
export const stringSet = (xs: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(xs)].sort(compareCodePoints)

/** A single cpuid, for the old forms that carry one (their encoders refuse anything else). */
export const singleCpuid = (cpuids: ReadonlyArray<number>, what: string): number =>
  cpuids.length === 1 ? cpuids[0]! : fail(`expected a single CPUid for ${what}`)

/** A codec the encoder never uses: the legacy forms are read, never written. */
export const readOnly = <A, B>(what: string, codec: Codec<A>, decode: (a: A) => B): Codec<B> =>
  map(codec, decode, () => fail(`${what} is decode-only`))

/**
 * `Name.of_string` (spec §1.3) as `Name.fromString` does it, with the same errors, but building
 * the instance without a second Schema validation: `parsePath` has already checked every label,
 * and re-validating costs more than the parse itself on the hot paths (1,000 names in a state
 * file, 100 in an info reply). test/wire/name-codec.test.ts holds the two equal on names.json.
 */
export const parseWireName = (s: string): Name => {
  if (s === "") return fail("empty name")
  if (s.charCodeAt(s.length - 1) === 0x3a /* : */) {
    const path = parsePath(s.slice(0, -1))
    return Either.isRight(path) ? new Name({ path: path.right, label: null }, true) : fail(path.left)
  }
  const path = parsePath(s)
  if (Either.isLeft(path) || path.right.length === 0) return fail("invalid name")
  const labels = path.right
  return new Name({ path: labels.slice(0, -1), label: labels[labels.length - 1]! }, true)
}

/** Name ::= UTF8String carrying `Name.to_string`, read with `Name.of_string` (labels lower-cased). */
export const NameCodec: Codec<Name> = map(utf8, parseWireName, (n) => n.toString())

/** Typ ::= CHOICE { solo5 [0] NULL, bhyve [1] NULL } */
export const Typ: Codec<TypT> = choice<TypT>("Typ", [
  alternative("solo5", map(explicit(0, nul), () => "solo5" as const, () => null), (t) => t === "solo5"),
  alternative("bhyve", map(explicit(1, nul), () => "bhyve" as const, () => null), (t) => t === "bhyve")
])

/** FailBehav ::= CHOICE { quit [0] NULL, restart [1] SET OF INTEGER }  -- empty set = all codes */
export const FailBehaviour: Codec<FailBehaviourT> = choice<FailBehaviourT>("FailBehav", [
  variant("quit", explicit(0, nul), "Quit", () => ({ _tag: "Quit" }), () => null),
  variant(
    "restart",
    explicit(1, setOf(int)),
    "Restart",
    (codes) => ({ _tag: "Restart", exitCodes: codes.length === 0 ? null : intSet(codes) }),
    (r) => (r.exitCodes === null ? [] : intSet(r.exitCodes))
  )
])

/** Policy ::= SEQUENCE { cpuids SEQUENCE OF INTEGER, unikernels INTEGER, memory INTEGER,
 *                        block INTEGER OPTIONAL, bridges SEQUENCE OF UTF8String }
 *  cpuids and bridges are sets: read in any order, kept and written sorted. */
export const Policy: Codec<PolicyT> = map(
  sequence({
    cpuids: sequenceOf(int),
    unikernels: bigInt,
    memory: int,
    block: optional(int),
    bridges: sequenceOf(utf8)
  }),
  (p) => ({
    unikernels: p.unikernels,
    cpuids: intSet(p.cpuids),
    memory: p.memory,
    block: p.block,
    bridges: stringSet(p.bridges)
  }),
  (p) => ({
    cpuids: intSet(p.cpuids),
    unikernels: p.unikernels,
    memory: p.memory,
    block: p.block,
    bridges: stringSet(p.bridges)
  })
)

/** BlockSpec ::= SEQUENCE { name UTF8String, device UTF8String OPTIONAL, sector-size INTEGER OPTIONAL } */
export const BlockSpec: Codec<BlockSpecT> = sequence({
  name: utf8,
  device: optional(utf8),
  sectorSize: optional(int)
})

/** NetSpec ::= SEQUENCE { netif UTF8String, bridge UTF8String OPTIONAL, mac OCTET STRING OPTIONAL } */
export const NetSpec: Codec<NetSpecT> = sequence({
  netif: utf8,
  bridge: optional(utf8),
  mac: optional(mac)
})

/** `[0] SET OF BlockSpec OPTIONAL` and friends: omitted when empty, absent reads as empty. */
export const emptyAsAbsent = <A>(xs: ReadonlyArray<A>): ReadonlyArray<A> | null => (xs.length === 0 ? null : xs)
