/** The DER layer on its own: lengths, integers, strings, times, SET OF order, strictness. */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  bigInt,
  boolean,
  type Codec,
  decodeAll,
  encodeAll,
  encodedOnce,
  encodePieces,
  explicit,
  Fault,
  formatGeneralizedTime,
  generalizedTime,
  int,
  int32,
  int64,
  mac,
  nul,
  octetString,
  optional,
  parseGeneralizedTime,
  sequence,
  sequenceOf,
  setOf,
  utf8,
  utf8Raw,
  Writer
} from "../../src/wire/der/index.js"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"))
const enc = <A>(c: Codec<A>, v: A): string => hex(encodeAll(c, v))
const dec = <A>(c: Codec<A>, h: string): A => decodeAll(c, bytes(h))
const reason = <A>(c: Codec<A>, h: string): string => {
  try {
    decodeAll(c, bytes(h))
  } catch (e) {
    if (e instanceof Fault) return e.describe()
    throw e
  }
  throw new Error("decoded")
}
const encodeReason = <A>(c: Codec<A>, v: A): string => {
  try {
    encodeAll(c, v)
  } catch (e) {
    if (e instanceof Fault) return e.describe()
    throw e
  }
  throw new Error("encoded")
}

describe("lengths", () => {
  it("short form up to 127, then the shortest long form", () => {
    for (const [n, prefix] of [
      [0, "0400"],
      [127, "047f"],
      [128, "048180"],
      [255, "0481ff"],
      [256, "04820100"],
      [65536, "0483010000"]
    ] as const) {
      const v = new Uint8Array(n).fill(7)
      const h = enc(octetString, v)
      expect(h.slice(0, prefix.length)).toBe(prefix)
      expect(Buffer.from(dec(octetString, h)).equals(Buffer.from(v))).toBe(true)
    }
    const big = encodeAll(octetString, new Uint8Array(16777216))
    expect(hex(big.subarray(0, 6))).toBe("048401000000")
    expect(decodeAll(octetString, big).length).toBe(16777216)
  })
  it("rejects indefinite, redundant, over-long and truncated lengths", () => {
    expect(reason(octetString, "0480")).toMatch(/indefinite length/)
    expect(reason(octetString, "04817f" + "00".repeat(127))).toMatch(/redundant length/)
    expect(reason(octetString, "0482007f" + "00".repeat(127))).toMatch(/redundant length/)
    expect(reason(octetString, "04850000000001")).toMatch(/too large/)
    expect(reason(octetString, "0403aabb")).toMatch(/buffer too small/)
    expect(reason(octetString, "0482ff")).toMatch(/truncated/)
    expect(reason(octetString, "04")).toMatch(/truncated/)
    expect(reason(octetString, "")).toMatch(/missing/)
    expect(reason(octetString, "0400ff")).toBe("trailing bytes")
  })
  it("decodes octet strings as views of the input, without copying", () => {
    const input = bytes("0403aabbcc")
    const v = decodeAll(octetString, input)
    expect(v.buffer).toBe(input.buffer)
    expect(v.byteOffset).toBe(2)
    expect(decodeAll(utf8Raw, bytes("0c03ff00fe")).buffer).not.toBeUndefined()
  })
})

describe("INTEGER", () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, "020100"],
    [127, "02017f"],
    [128, "02020080"],
    [255, "020200ff"],
    [256, "02020100"],
    [-1, "0201ff"],
    [-128, "020180"],
    [-129, "0202ff7f"],
    [2147483647, "02047fffffff"],
    [-2147483648, "020480000000"],
    [2147483648, "02050080000000"],
    [Number.MAX_SAFE_INTEGER, "02071fffffffffffff"],
    [Number.MIN_SAFE_INTEGER, "0207e00000000000001"]
  ]
  it("writes minimal two's complement and reads it back", () => {
    for (const [n, h] of cases.filter(([, h]) => h.length % 2 === 0)) {
      expect(enc(int, n)).toBe(h)
      expect(dec(int, h)).toBe(n)
    }
    expect(enc(int, Number.MIN_SAFE_INTEGER)).toBe("0207e0000000000001")
    expect(dec(int, "0207e0000000000001")).toBe(Number.MIN_SAFE_INTEGER)
  })
  it("keeps OCaml's 63-bit range exactly as bigint", () => {
    expect(enc(bigInt, (1n << 62n) - 1n)).toBe("02083fffffffffffffff")
    expect(dec(bigInt, "02083fffffffffffffff")).toBe((1n << 62n) - 1n)
    expect(dec(bigInt, "0208c000000000000000")).toBe(-(1n << 62n))
    expect(reason(bigInt, "02084000000000000000")).toMatch(/overflow/)
    expect(encodeReason(bigInt, 1n << 62n)).toMatch(/63-bit/)
  })
  it("refuses what a JS number cannot hold, and non-integers", () => {
    expect(reason(int, "02081000000000000000")).toMatch(/safe integer/)
    expect(dec(bigInt, "02081000000000000000")).toBe(1n << 60n)
    expect(encodeReason(int, 1.5)).toMatch(/not a safe integer/)
    expect(encodeReason(int, Number.NaN)).toMatch(/not a safe integer/)
    expect(encodeReason(int, 2 ** 53)).toMatch(/not a safe integer/)
  })
  it("rejects empty and redundant forms", () => {
    expect(reason(int, "0200")).toMatch(/length 0/)
    expect(reason(int, "02020005")).toMatch(/redundant/)
    expect(reason(int, "0202ffff")).toMatch(/redundant/)
    expect(reason(bigInt, "02020005")).toMatch(/redundant/)
  })
  it("int32 fields stay in int32", () => {
    expect(dec(int32, "020480000000")).toBe(-2147483648)
    expect(reason(int32, "02050080000000")).toMatch(/int32/)
    expect(encodeReason(int32, 2 ** 31)).toMatch(/int32/)
  })
})

describe("Int64 (8-byte OCTET STRING)", () => {
  it("round-trips the extremes", () => {
    for (const [v, h] of [
      [0n, "04080000000000000000"],
      [-1n, "0408ffffffffffffffff"],
      [(1n << 63n) - 1n, "04087fffffffffffffff"],
      [-(1n << 63n), "04088000000000000000"],
      [4294967296n, "04080000000100000000"]
    ] as const) {
      expect(enc(int64, v)).toBe(h)
      expect(dec(int64, h)).toBe(v)
    }
  })
  it("reads the first 8 of more bytes (as the reference) and refuses fewer", () => {
    expect(dec(int64, "0409000000000000000701")).toBe(7n)
    expect(reason(int64, "040400000001")).toMatch(/4 octets/)
    expect(encodeReason(int64, 1n << 63n)).toMatch(/64-bit/)
  })
})

describe("BOOLEAN, NULL, MAC", () => {
  it("writes FF, reads any non-zero as true, one octet only", () => {
    expect(enc(boolean, true)).toBe("0101ff")
    expect(enc(boolean, false)).toBe("010100")
    expect(dec(boolean, "010101")).toBe(true)
    expect(reason(boolean, "0102ffff")).toMatch(/2 content octets/)
    expect(reason(boolean, "0100")).toMatch(/0 content octets/)
  })
  it("NULL has no content", () => {
    expect(enc(nul, null)).toBe("0500")
    expect(reason(nul, "050100")).toMatch(/has content/)
  })
  it("MAC is exactly 6 bytes", () => {
    expect(enc(mac, "00:80:41:aa:bb:cc")).toBe("0406008041aabbcc")
    expect(dec(mac, "0406008041aabbcc")).toBe("00:80:41:aa:bb:cc")
    expect(reason(mac, "04050080410000")).toMatch(/bad mac address/)
    expect(encodeReason(mac, "00:80:41:AA:BB")).toMatch(/bad mac address/)
  })
})

describe("UTF8String", () => {
  it("decodes text, refusing invalid UTF-8, keeping a BOM", () => {
    expect(dec(utf8, "0c03666f6f")).toBe("foo")
    expect(dec(utf8, "0c04c3bcc39f")).toBe("üß")
    expect(dec(utf8, "0c03efbbbf")).toBe("\ufeff")
    expect(reason(utf8, "0c02c328")).toMatch(/not valid UTF-8/)
    expect(enc(utf8, "üß")).toBe("0c04c3bcc39f")
  })
  it("keeps raw bytes where asked (console lines)", () => {
    expect(hex(dec(utf8Raw, "0c02ff00"))).toBe("ff00")
    expect(enc(utf8Raw, bytes("ff00"))).toBe("0c02ff00")
  })
})

describe("GeneralizedTime", () => {
  const at = (s: string): string => new Date(parseGeneralizedTime(new TextEncoder().encode(s))).toISOString()
  it("writes seconds, milliseconds only when non-zero, Z", () => {
    expect(formatGeneralizedTime(new Date("2024-01-02T03:04:05Z"))).toBe("20240102030405Z")
    expect(formatGeneralizedTime(new Date("2024-01-02T03:04:05.120Z"))).toBe("20240102030405.120Z")
    expect(formatGeneralizedTime(new Date("0001-01-01T00:00:00.001Z"))).toBe("00010101000000.001Z")
    expect(enc(generalizedTime, new Date("1970-01-01T00:00:00Z"))).toBe("180f31393730303130313030303030305a")
  })
  it("reads the reference's lenient forms", () => {
    expect(at("20240102030405Z")).toBe("2024-01-02T03:04:05.000Z")
    expect(at("20240102030405.5Z")).toBe("2024-01-02T03:04:05.005Z")
    expect(at("20240102030405.123Z")).toBe("2024-01-02T03:04:05.123Z")
    expect(at("202401020304Z")).toBe("2024-01-02T03:04:00.000Z")
    expect(at("2024010203Z")).toBe("2024-01-02T03:00:00.000Z")
    expect(at("20240102030405+0100")).toBe("2024-01-02T02:04:05.000Z")
    expect(at("20240102030405-0130")).toBe("2024-01-02T04:34:05.000Z")
    expect(at("20240102030405")).toBe("2024-01-02T03:04:05.000Z")
    expect(at("20240229000000Z")).toBe("2024-02-29T00:00:00.000Z")
  })
  it("rejects malformed and out-of-range times", () => {
    for (const s of ["yesterday", "20240230000000Z", "20230229000000Z", "20241301000000Z", "20240102240000Z", "20240102036000Z",
      "20240102030460Z", "20240102030405.1234Z", "20240102030405.Z", "20240102030405+01", "20240102030405Zx", "2024010203040"]) {
      expect(() => parseGeneralizedTime(new TextEncoder().encode(s)), s).toThrow()
    }
    expect(() => parseGeneralizedTime(new TextEncoder().encode("00000101000000+0100"))).toThrow()
    expect(encodeReason(generalizedTime, new Date(Number.NaN))).toMatch(/invalid date/)
    expect(encodeReason(generalizedTime, new Date("+010000-01-01T00:00:00Z"))).toMatch(/out of range/)
  })
})

describe("structure", () => {
  const Pair = sequence({ a: int, b: optional(utf8), c: optional(explicit(0, int)) })
  it("SEQUENCE: optional fields omitted and recognised by tag", () => {
    expect(enc(Pair, { a: 1, b: null, c: null })).toBe("3003020101")
    expect(enc(Pair, { a: 1, b: "x", c: 2 })).toBe("300b0201010c0178a003020102")
    expect(dec(Pair, "3008020101a003020102")).toEqual({ a: 1, b: null, c: 2 })
  })
  it("SEQUENCE: missing required fields and extra elements are errors naming the field", () => {
    expect(reason(Pair, "3000")).toMatch(/missing required a/)
    expect(reason(Pair, "30050201010500")).toMatch(/unexpected element/)
    expect(reason(sequence({ x: sequence({ y: int }) }), "30053003010100")).toBe("x.y: INTEGER: expected tag 0x02, got 0x01")
  })
  it("SET OF is written in DER order (by encoding, shorter first) and read in any order", () => {
    expect(enc(setOf(int), [256, 1, -1, 0])).toBe("310d" + "020100" + "020101" + "0201ff" + "02020100")
    expect(enc(setOf(utf8), ["b", "ab", "a"])).toBe("310a0c01610c01620c026162")
    expect(dec(setOf(int), "3106020102020101")).toEqual([2, 1])
  })
  it("SEQUENCE OF keeps order; element errors name the index", () => {
    expect(enc(sequenceOf(int), [2, 1])).toBe("3006020102020101")
    expect(reason(sequenceOf(int), "30050201020500")).toBe("[1]: INTEGER: expected tag 0x02, got 0x05")
  })
  it("explicit tags hold exactly one element", () => {
    expect(enc(explicit(3, nul), null)).toBe("a3020500")
    expect(reason(explicit(3, nul), "a30405000500")).toMatch(/more than one element/)
    expect(reason(explicit(3, nul), "83020500")).toMatch(/expected tag 0xa3, got 0x83/)
  })
})

describe("encodedOnce", () => {
  type Item = { readonly n: number; readonly s: string }
  const Item = sequence({ n: int, s: utf8 })
  /** Item, counting how often it really encodes. */
  const counting = () => {
    const counter = { encodes: 0 }
    const codec: Codec<Item> = {
      tags: Item.tags,
      decode: (r) => Item.decode(r),
      encode: (w, v) => {
        counter.encodes++
        Item.encode(w, v)
      }
    }
    return { counter, codec }
  }

  it("writes the same bytes as the codec, and encodes each object once", () => {
    const { counter, codec } = counting()
    const once = sequenceOf(encodedOnce(codec, 64))
    const a: Item = { n: 1, s: "a" }
    const b: Item = { n: 300, s: "bb" }
    const plain = enc(sequenceOf(Item), [a, b, a])
    expect(enc(once, [a, b, a])).toBe(plain)
    expect(counter.encodes).toBe(2)
    // a later message with the same objects, written at other offsets of a bigger buffer
    expect(enc(sequence({ x: utf8, items: once }), { x: "x".repeat(2000), items: [b, a] })).toBe(
      enc(sequence({ x: utf8, items: sequenceOf(Item) }), { x: "x".repeat(2000), items: [b, a] })
    )
    expect(counter.encodes).toBe(2)
    // an equal but distinct object is encoded again
    expect(enc(once, [{ n: 1, s: "a" }])).toBe(enc(sequenceOf(Item), [a]))
    expect(counter.encodes).toBe(3)
  })
  it("keeps no encoding over its size limit, and decodes as the codec", () => {
    const { counter, codec } = counting()
    const once = encodedOnce(codec, 8)
    const big: Item = { n: 1, s: "long enough" }
    expect(enc(once, big)).toBe(enc(Item, big))
    expect(enc(once, big)).toBe(enc(Item, big))
    expect(counter.encodes).toBe(2)
    expect(dec(once, enc(Item, big))).toEqual(big)
  })
})

describe("Writer with kept pieces", () => {
  type Blob = { readonly tag: number; readonly data: Uint8Array; readonly note: string }
  const Blob = sequence({ tag: int, data: octetString, note: utf8 })
  const Blobs = sequenceOf(Blob)
  const blob = fc.record({
    tag: fc.integer({ min: -1000, max: 1000 }),
    data: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 300 }).map((n) => new Uint8Array(n).fill(n & 0xff))),
    note: fc.string({ maxLength: 20 })
  })

  it("writes the same bytes as a plain writer, whatever the threshold and the starting capacity", () => {
    fc.assert(
      fc.property(fc.array(blob, { maxLength: 12 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 64 }), (values, keepAbove, capacity) => {
        const plain = encodeAll(Blobs, values)
        const parts = encodePieces(Blobs, values, keepAbove, capacity)
        expect(hex(Buffer.concat(parts))).toBe(hex(plain))
        // every byte string over the threshold is one of the parts, the value's own array
        for (const v of values) if (v.data.length > keepAbove) expect(parts).toContain(v.data)
        // and the writer's result is the same bytes again
        const w = new Writer(capacity, { keepAbove })
        Blobs.encode(w, values)
        expect(w.length).toBe(plain.length)
        expect(hex(w.result())).toBe(hex(plain))
      })
    )
  })
  it("does not copy a kept byte string", () => {
    const image = new Uint8Array(100_000).fill(7)
    const parts = encodePieces(Blob, { tag: 1, data: image, note: "n" }, 64 * 1024)
    expect(parts).toHaveLength(3)
    expect(parts[1]).toBe(image)
  })
  it("front: the element written last, unless a piece was kept within it", () => {
    const w = new Writer(16, { keepAbove: 4 })
    utf8.encode(w, "abc")
    expect(hex(w.front(5)!)).toBe(hex(encodeAll(utf8, "abc")))
    octetString.encode(w, new Uint8Array(10))
    expect(w.front(12)).toBeUndefined()
    expect(hex(w.front(2)!)).toBe("040a")
  })
  it("encodedOnce caches nothing that spans a kept piece, and still writes the right bytes", () => {
    let encodes = 0
    const counted: Codec<Blob> = { tags: Blob.tags, decode: (r) => Blob.decode(r), encode: (w, v) => (encodes++, Blob.encode(w, v)) }
    const once = encodedOnce(counted, 1024)
    const v: Blob = { tag: 5, data: new Uint8Array(200).fill(1), note: "x" }
    const plain = hex(encodeAll(Blob, v))
    expect(hex(Buffer.concat(encodePieces(once, v, 100)))).toBe(plain)
    expect(hex(Buffer.concat(encodePieces(once, v, 100)))).toBe(plain)
    expect(encodes).toBe(2)
    // written without kept pieces it is cached, and the cached bytes serve a writer that keeps pieces
    expect(hex(encodeAll(once, v))).toBe(plain)
    expect(hex(Buffer.concat(encodePieces(once, v, 100)))).toBe(plain)
    expect(encodes).toBe(3)
  })
})
