/**
 * Names of unikernels, block devices and policy paths (spec §1.1-1.3).
 *
 * A name is a path (list of labels, possibly empty = root) plus an optional final label.
 * The textual form `path:label` (root renders as the empty path, so `:foo`) is what travels
 * on the wire and what file names are built from, so it must match albatross byte for byte.
 */
import { Either, Schema } from "effect"

export const LABEL_ERROR = "invalid label (only [a-zA-Z0-9-.] allowed, 1 to 63 chars)"

const labelPattern = /^[a-zA-Z0-9.][a-zA-Z0-9.-]{0,62}$/

/** Validates and lower-cases one label. */
export const parseLabel = (s: string): Either.Either<string, string> =>
  labelPattern.test(s) ? Either.right(s.toLowerCase()) : Either.left(LABEL_ERROR)

export const isValidLabel = (s: string): boolean => labelPattern.test(s)

/** A path: leading `:` dropped, every remaining piece a label; `""` is root. */
export const parsePath = (s: string): Either.Either<ReadonlyArray<string>, string> => {
  if (s === "") return Either.right([])
  const pieces = s.split(":")
  if (pieces[0] === "") pieces.shift()
  const labels: Array<string> = []
  for (const piece of pieces) {
    const label = parseLabel(piece)
    if (Either.isLeft(label)) return Either.left(`invalid path: ${label.left}`)
    labels.push(label.right)
  }
  return Either.right(labels)
}

export const pathToString = (path: ReadonlyArray<string>): string => path.join(":")

/**
 * Names are built from already checked parts on hot paths (every trie listing, every frame), so
 * the Schema constructor's runtime re-validation of the field types is skipped; TypeScript
 * guarantees them. Labels are validated where text is parsed, not here.
 */
const make = (path: ReadonlyArray<string>, label: string | null): Name => new Name({ path, label }, true)

export class Name extends Schema.Class<Name>("Name")({
  path: Schema.Array(Schema.String),
  label: Schema.NullOr(Schema.String)
}) {
  static readonly root: Name = new Name({ path: [], label: null }, true)

  static of(path: ReadonlyArray<string>, label: string | null = null): Name {
    return make(path, label)
  }

  /** `Name.of_string` of the reference, including its error texts. */
  static fromString(s: string): Either.Either<Name, string> {
    if (s === "") return Either.left("empty name")
    if (s.endsWith(":")) {
      return Either.map(parsePath(s.slice(0, -1)), (path) => make(path, null))
    }
    const path = parsePath(s)
    if (Either.isLeft(path) || path.right.length === 0) return Either.left("invalid name")
    const labels = path.right
    return Either.right(make(labels.slice(0, -1), labels[labels.length - 1]!))
  }

  /** The wire / file-name form: `path:label`, `:` for root, `a:b:` for a path-name. */
  override toString(): string {
    return `${pathToString(this.path)}:${this.label ?? ""}`
  }

  get isRoot(): boolean {
    return this.path.length === 0 && this.label === null
  }

  /** Human display form used in logs and client output: `[unikernel: a:b]`. */
  display(): string {
    return `[unikernel: ${this.toString()}]`
  }

  /** The trie key: path labels then the label, if any. */
  key(): ReadonlyArray<string> {
    return this.label === null ? this.path : [...this.path, this.label]
  }

  /** The name as a path-name (label dropped). */
  dropLabel(): Name {
    return make(this.path, null)
  }

  /** Same label at the root path. */
  dropPath(): Name {
    return make([], this.label)
  }

  /** The path this name denotes when used as a subtree (label appended, if any). */
  asPath(): ReadonlyArray<string> {
    return this.key()
  }

  /** A block device referenced by a unikernel lives next to it, in the same path. */
  blockName(device: string): Name {
    return make(this.path, device)
  }

  /** Strip a leading path; `undefined` when `prefix` is not a prefix of this name's key. */
  dropPrefix(prefix: ReadonlyArray<string>): Name | undefined {
    const key = this.key()
    if (prefix.length > key.length) return undefined
    for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return undefined
    if (this.label === null) return make(this.path.slice(prefix.length), null)
    if (prefix.length === key.length) return undefined
    return make(this.path.slice(prefix.length), this.label)
  }
}
