/**
 * The metrics-influx line encoding (src/metrics/line-protocol.ts) against lines worked out by
 * hand from metrics-influx 0.5 (Metrics_influx.encode_line_protocol) and OCaml's printers:
 * keyword prefix, the two escape sets, verbatim source tags, `%di`/`%Lui`, `%g`, `%S`.
 */
import { describe, expect, it } from "vitest"
import { avoidKeyword, encodeLine, encodeValue, escapeName, field, ocamlQuoted, sourceTag, stringTag } from "../../src/metrics/line-protocol.js"
import { formatG } from "../../src/metrics/printf-g.js"

const vm = stringTag("vm", "albatross")

describe("metrics-influx line encoding", () => {
  it("writes measurement, vm and source tags, fields, a newline and no timestamp", () => {
    expect(encodeLine("connections", [vm, sourceTag("kind", "unix")], [field.int("active", 1), field.int("total", 3)])).toBe(
      "connections,vm=albatross,kind=unix active=1i,total=3i\n"
    )
  })

  it("escapes spaces in field keys (the reference's resource sources)", () => {
    expect(
      encodeLine("albatross-unikernels", [vm, sourceTag("domain", "alice:web")], [
        field.uint("attached used block", 10),
        field.uint("unattached used block", 0),
        field.uint("total used block", 10),
        field.uint("running unikernels", 1),
        field.uint("used memory", 32)
      ])
    ).toBe(
      "albatross-unikernels,vm=albatross,domain=alice:web attached\\ used\\ block=10i,unattached\\ used\\ block=0i,total\\ used\\ block=10i,running\\ unikernels=1i,used\\ memory=32i\n"
    )
  })

  it("escapes `,` and space in the measurement but not `=`; `,`, space and `=` in keys; never a backslash", () => {
    expect(encodeLine("a b,c=d\\e", [vm], [field.int("x", 0)])).toBe("a\\ b\\,c=d\\e,vm=albatross x=0i\n")
    expect(encodeLine("m", [vm], [field.int("k=1, 2\\", 0)])).toBe("m,vm=albatross k\\=1\\,\\ 2\\=0i\n")
    expect(escapeName("a=b c,d")).toBe("a\\=b\\ c\\,d")
  })

  it("escapes string-typed tags (vm) but prints a source's own tags verbatim", () => {
    expect(encodeLine("m", [stringTag("vm", "a b=c,d"), sourceTag("domain", "x y=z,w")], [field.int("f", 1)])).toBe(
      "m,vm=a\\ b\\=c\\,d,domain=x y=z,w f=1i\n"
    )
    expect(encodeLine("m", [stringTag("tag key", "v"), sourceTag("source key", "v")], [field.int("f", 1)])).toBe(
      "m,tag\\ key=v,source\\ key=v f=1i\n"
    )
  })

  it("prefixes InfluxQL keywords with `o` (ASCII case-insensitive) in names, keys and string tag values", () => {
    expect(avoidKeyword("name")).toBe("oname")
    expect(avoidKeyword("Select")).toBe("oSelect")
    expect(avoidKeyword("POLICIES")).toBe("oPOLICIES")
    expect(avoidKeyword("names")).toBe("names")
    expect(avoidKeyword("total")).toBe("total")
    expect(avoidKeyword("ın")).toBe("ın") // dotless ı is not ASCII: no match with IN
    expect(encodeLine("show", [stringTag("key", "drop"), sourceTag("tag", "drop")], [field.string("field", "name"), field.int("Limit", 1)])).toBe(
      'oshow,okey=odrop,otag=drop ofield="name",oLimit=1i\n'
    )
    // the prefix comes before escaping
    expect(encodeLine("m", [vm], [field.int("in", 1), field.int("in x", 2)])).toBe("m,vm=albatross oin=1i,in\\ x=2i\n")
  })

  it("prints integers with `i`: signed as they are, unsigned as 64-bit unsigned", () => {
    expect(encodeValue(field.int("k", -5).value)).toBe("-5i")
    expect(encodeValue(field.int("k", 2n ** 62n).value)).toBe("4611686018427387904i")
    expect(encodeValue(field.uint("k", 0).value)).toBe("0i")
    expect(encodeValue(field.uint("k", -1).value)).toBe("18446744073709551615i")
    expect(encodeValue(field.uint("k", 2n ** 63n).value)).toBe("9223372036854775808i")
    expect(encodeValue(field.int("k", 7.9).value)).toBe("7i")
  })

  it("prints floats as C's %g: six significant digits, no trailing zeros, exponent from 1e6 and below 1e-4", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [0, "0"],
      [1, "1"],
      [0.5, "0.5"],
      [0.004, "0.004"],
      [0.0001, "0.0001"],
      [0.00001234, "1.234e-05"],
      [12.3456789, "12.3457"],
      [123456, "123456"],
      [999999.4, "999999"],
      [999999.5, "1e+06"],
      [1234567, "1.23457e+06"],
      // exact halfway cases round to even, as glibc does
      [1234565, "1.23456e+06"],
      [1234575, "1.23458e+06"],
      [2.5, "2.5"],
      [1e21, "1e+21"],
      [1.7976931348623157e308, "1.79769e+308"],
      [5e-324, "4.94066e-324"],
      [-0.25, "-0.25"],
      [NaN, "nan"],
      [Infinity, "inf"],
      [-Infinity, "-inf"]
    ]
    for (const [v, s] of cases) expect([v, formatG(v)]).toEqual([v, s])
    expect(encodeLine("resource_usage", [vm], [field.float("utime", 0.123456), field.float("stime", 3600.5)])).toBe(
      "resource_usage,vm=albatross utime=0.123456,stime=3600.5\n"
    )
  })

  it("prints booleans and strings (OCaml %S: quotes, backslash escapes, other bytes as \\ddd)", () => {
    expect(encodeValue(field.bool("k", true).value)).toBe("true")
    expect(encodeValue(field.bool("k", false).value)).toBe("false")
    expect(ocamlQuoted('a"b\\c')).toBe('"a\\"b\\\\c"')
    expect(ocamlQuoted("l1\nl2\tx\ry\bz")).toBe('"l1\\nl2\\tx\\ry\\bz"')
    expect(ocamlQuoted("é\u0000\u007f ~")).toBe('"\\195\\169\\000\\127 ~"')
    // field string values are neither prefixed nor escaped further
    expect(encodeLine("m", [vm], [field.string("s", "a b,c=d")])).toBe('m,vm=albatross s="a b,c=d"\n')
  })
})
