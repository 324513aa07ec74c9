/**
 * One measurement as a line of InfluxDB line protocol, exactly as metrics-influx 0.5
 * (`Metrics_influx.encode_line_protocol`) writes it for the reference's self-metrics (spec §9.3):
 *
 *   <measurement>,<tag>=<value>,… <field>=<value>,…\n        (no timestamp: the server's time)
 *
 * - the measurement name, tag keys, field keys and string-typed tag values that are InfluxQL
 *   keywords (compared in ASCII upper case) get an `o` in front (`name` → `oname`);
 * - the measurement name has `,` and space escaped with a backslash, keys and string-typed tag
 *   values `,`, space and `=` (a backslash itself is not escaped);
 * - tags a source declares (`kind`, `domain`) are printed as they are, neither prefixed nor
 *   escaped: metrics types them as opaque printers, only the reporter's own `vm` tag is a string;
 * - integers get an `i` suffix (unsigned ones printed as unsigned 64-bit), floats are C's `%g`
 *   (`0.004`, `12.3457`, `1.5e+06`), booleans `true`/`false`, strings OCaml's `%S`: in double
 *   quotes, with `"` and `\` backslash-escaped, `\n` `\t` `\r` `\b`, and every other byte outside
 *   space..`~` (so each byte of a non-ASCII UTF-8 character) as `\ddd` in decimal.
 */
import { formatG } from "./printf-g.js"

export type FieldValue =
  | { readonly _tag: "String"; readonly value: string }
  | { readonly _tag: "Int"; readonly value: bigint | number }
  | { readonly _tag: "Uint"; readonly value: bigint | number }
  | { readonly _tag: "Float"; readonly value: number }
  | { readonly _tag: "Bool"; readonly value: boolean }

export interface Field {
  readonly key: string
  readonly value: FieldValue
}

export interface Tag {
  readonly key: string
  readonly value: string
  /** A source's own tag: printed as it is. Otherwise a string value: keyword-prefixed and escaped. */
  readonly verbatim: boolean
}

export const field = {
  string: (key: string, value: string): Field => ({ key, value: { _tag: "String", value } }),
  int: (key: string, value: bigint | number): Field => ({ key, value: { _tag: "Int", value } }),
  uint: (key: string, value: bigint | number): Field => ({ key, value: { _tag: "Uint", value } }),
  float: (key: string, value: number): Field => ({ key, value: { _tag: "Float", value } }),
  bool: (key: string, value: boolean): Field => ({ key, value: { _tag: "Bool", value } })
}

/** A tag declared by a source (printed verbatim). */
export const sourceTag = (key: string, value: string): Tag => ({ key, value, verbatim: true })
/** A string-typed tag such as the reporter's `vm` (prefixed and escaped like a key). */
export const stringTag = (key: string, value: string): Tag => ({ key, value, verbatim: false })

/** The InfluxQL keywords metrics-influx avoids. */
const KEYWORDS = new Set(
  (
    "ALL ALTER ANY AS ASC BEGIN BY CREATE CONTINUOUS DATABASE DATABASES DEFAULT DELETE DESC " +
    "DESTINATIONS DIAGNOSTICS DISTINCT DROP DURATION END EVERY EXPLAIN FIELD FOR FROM GRANT GRANTS " +
    "GROUP GROUPS IN INF INSERT INTO KEY KEYS KILL LIMIT SHOW MEASUREMENT MEASUREMENTS NAME OFFSET " +
    "ON ORDER PASSWORD POLICY POLICIES PRIVILEGES QUERIES QUERY READ REPLICATION RESAMPLE RETENTION " +
    "REVOKE SELECT SERIES SET SHARD SHARDS SLIMIT SOFFSET STATS SUBSCRIPTION SUBSCRIPTIONS TAG TO " +
    "USER USERS VALUES WHERE WITH WRITE"
  ).split(" ")
)

/** ASCII-only upper case, as OCaml's `String.uppercase_ascii`. */
const upperAscii = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase())

export const avoidKeyword = (s: string): string => (KEYWORDS.has(upperAscii(s)) ? `o${s}` : s)

export const escapeMeasurement = (s: string): string => avoidKeyword(s).replace(/[, ]/g, (c) => `\\${c}`)

/** Tag keys, field keys and string tag values. */
export const escapeName = (s: string): string => avoidKeyword(s).replace(/[, =]/g, (c) => `\\${c}`)

/** OCaml's `%S` of the UTF-8 bytes of `s`. */
export const ocamlQuoted = (s: string): string => {
  let out = '"'
  for (const b of Buffer.from(s, "utf8")) {
    if (b === 0x22) out += '\\"'
    else if (b === 0x5c) out += "\\\\"
    else if (b === 0x0a) out += "\\n"
    else if (b === 0x09) out += "\\t"
    else if (b === 0x0d) out += "\\r"
    else if (b === 0x08) out += "\\b"
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b)
    else out += `\\${b.toString().padStart(3, "0")}`
  }
  return `${out}"`
}

const integer = (v: bigint | number): bigint => (typeof v === "bigint" ? v : BigInt(Math.trunc(v)))

export const encodeValue = (v: FieldValue): string => {
  switch (v._tag) {
    case "String":
      return ocamlQuoted(v.value)
    case "Int":
      return `${integer(v.value)}i`
    case "Uint":
      return `${BigInt.asUintN(64, integer(v.value))}i`
    case "Float":
      return formatG(v.value)
    case "Bool":
      return v.value ? "true" : "false"
  }
}

const encodeTag = (t: Tag): string => `${escapeName(t.key)}=${t.verbatim ? t.value : escapeName(t.value)}`

const encodeField = (f: Field): string => `${escapeName(f.key)}=${encodeValue(f.value)}`

export const encodeLine = (measurement: string, tags: ReadonlyArray<Tag>, fields: ReadonlyArray<Field>): string =>
  `${escapeMeasurement(measurement)},${tags.map(encodeTag).join(",")} ${fields.map(encodeField).join(",")}\n`
