/**
 * What a client may do, derived from the certificate chain it presented (spec §10.3):
 * the admin path (the CNs of the intermediate CAs carrying a policy, top-down), the policies
 * to install on the way (deepest first), the leaf's command and the name it acts on.
 *
 * Texts of the failures are the reference's. One deliberate fix (spec §11.3 [BUG]): for
 * `Policy_info` the leaf's CN is a *path* relative to the admin path (the reference client
 * writes `Path.to_string` there), so `policy` works at the root (`.`, `:` or an empty CN) and
 * at multi-label paths (`a:b`); the reference endpoint parsed it as a label.
 */
import { Either, Option } from "effect"
import type { Command } from "../domain/command.js"
import { commandText } from "../domain/endpoint.js"
import { Name, parseLabel, parsePath, pathToString } from "../domain/name.js"
import { isSmaller } from "../domain/policy-rules.js"
import type { Policy } from "../domain/policy.js"
import { certificateAlbatrossExtension, commonName, type Certificate } from "./certs.js"
import type { LeafFields } from "./leaf-fields.js"

/** Chains of this many certificates or more are refused. */
export const MAX_CHAIN_LENGTH = 10

export interface PathPolicy {
  readonly path: ReadonlyArray<string>
  readonly policy: Policy
}

export interface Authority {
  /** Path of the delegation: labels of the policy-carrying CAs, top-down. */
  readonly adminPath: ReadonlyArray<string>
  /** The delegated policies, deepest first (the order they are installed in). */
  readonly policies: ReadonlyArray<PathPolicy>
  /** The name the command acts on. */
  readonly name: Name
  /** Protocol version of the leaf's extension; replies carry it. */
  readonly version: number
  readonly command: Command
}

/** Commands a leaf certificate may carry (spec §10.3 step 4). */
export const allowedLeafCommand = (command: Command): boolean => {
  switch (command._tag) {
    case "ConsoleSubscribe":
    case "ConsoleListInactive":
    case "StatsSubscribe":
    case "PolicyInfo":
      return true
    default:
      return (
        command._tag.startsWith("Unikernel") ||
        command._tag.startsWith("OldUnikernel") ||
        command._tag.startsWith("Block") ||
        command._tag.startsWith("OldBlock")
      )
  }
}

/** The reference's wording of commands that need a label, for `<cmd> may not have an empty name`. */
const needsLabel = (command: Command): string | undefined => {
  switch (command._tag) {
    case "PolicyAdd":
      return "policy add"
    case "PolicyRemove":
      return "policy remove"
    case "BlockAdd":
      return "block add"
    case "OldBlockAdd":
      return "old block add"
    case "BlockRemove":
      return "block remove"
    case "BlockSet":
      return "block set"
    case "OldBlockSet":
      return "old block set"
    case "BlockDump":
    case "OldBlockDump":
      return "block dump"
    default:
      return undefined
  }
}

const emptyCn = (cn: string | undefined): boolean => cn === undefined || cn === ""

/**
 * The extension and CN of a CA certificate, read once per certificate object: the endpoint
 * keeps its CA and the intermediates it has seen parsed, and sees them again on every request.
 */
const issuerFieldsCache = new WeakMap<Certificate, { extension: ReturnType<typeof certificateAlbatrossExtension>; cn: string | undefined }>()
const issuerFields = (cert: Certificate) => {
  let fields = issuerFieldsCache.get(cert)
  if (fields === undefined) {
    fields = { extension: certificateAlbatrossExtension(cert), cn: commonName(cert) }
    issuerFieldsCache.set(cert, fields)
  }
  return fields
}

/** The intermediates' policies and the admin path; `certs` top-down (closest to the CA first). */
const extractPolicies = (
  certs: ReadonlyArray<Certificate>
): Either.Either<{ path: ReadonlyArray<string>; policies: Array<PathPolicy> }, string> => {
  let path: ReadonlyArray<string> = []
  const policies: Array<PathPolicy> = []
  for (const cert of certs) {
    const { extension: ext, cn } = issuerFields(cert)
    if (Option.isNone(ext)) continue
    if (Either.isLeft(ext.value)) return Either.left("couldn't parse albatross extension")
    const command = ext.value.right.command
    if (command._tag !== "PolicyAdd") return Either.left(`unexpected wire ${commandText(command)}`)
    if (emptyCn(cn)) return Either.left("policy add may not have an empty name")
    const label = parseLabel(cn!)
    if (Either.isLeft(label)) return Either.left(label.left)
    // deliberate addition: a sub-CA may not delegate more than it was given (the reference
    // left this to vmmd, after installing the bigger policy's children first)
    const parent = policies[0]
    if (parent !== undefined) {
      const smaller = isSmaller(parent.policy, command.policy)
      if (Either.isLeft(smaller)) return Either.left(`policy of ${pathToString([...path, label.right])}: ${smaller.left}`)
    }
    path = [...path, label.right]
    policies.unshift({ path, policy: command.policy })
  }
  return Either.right({ path, policies })
}

/** The name a leaf acts on, from its CN. */
const leafName = (adminPath: ReadonlyArray<string>, cn: string | undefined, command: Command): Either.Either<Name, string> => {
  if (emptyCn(cn) || cn === "." || cn === ":") {
    const what = needsLabel(command)
    if (emptyCn(cn) && what !== undefined) return Either.left(`${what} may not have an empty name`)
    return Either.right(Name.of(adminPath))
  }
  if (command._tag === "PolicyInfo") {
    // deliberate fix: a path relative to the delegation, as the client means it
    return Either.map(parsePath(cn!), (sub) => Name.of([...adminPath, ...sub]))
  }
  return Either.map(parseLabel(cn!), (label) => Name.of(adminPath, label))
}

/** §10.3 on a chain given leaf first, as verified (`[leaf, intermediate_k, …, intermediate_1, CA]`). */
export const authorityOf = (chain: ReadonlyArray<Certificate>): Either.Either<Authority, string> =>
  chain.length >= MAX_CHAIN_LENGTH ? Either.left("certificate chain too long") : authorityFromPath(chain)

/** As `authorityOf`, for a chain whose length was checked already (a verified path, CA included). */
export const authorityFromPath = (chain: ReadonlyArray<Certificate>): Either.Either<Authority, string> => {
  const [leaf, ...rest] = chain
  if (leaf === undefined) return Either.left("empty chain")
  return authorityFromLeaf({ commonName: commonName(leaf), albatrossExtension: certificateAlbatrossExtension(leaf) }, rest)
}

/**
 * As `authorityFromPath`, with the leaf's fields read already (the endpoint reads them from
 * the DER, see leaf-fields.ts) and its issuers up to the CA (`[intermediate_k, …, CA]`).
 */
export const authorityFromLeaf = (leaf: LeafFields, issuers: ReadonlyArray<Certificate>): Either.Either<Authority, string> =>
  Either.flatMap(extractPolicies([...issuers].reverse()), ({ path, policies }) => {
    const ext = leaf.albatrossExtension
    if (Option.isNone(ext)) return Either.left("leaf certificate does not contain an albatross extension")
    if (Either.isLeft(ext.value)) return Either.left("couldn't parse albatross extension")
    const { version, command } = ext.value.right
    return Either.flatMap(leafName(path, leaf.commonName, command), (name) =>
      allowedLeafCommand(command) ? Either.right({ adminPath: path, policies, name, version, command }) : Either.left("unexpected command")
    )
  })
