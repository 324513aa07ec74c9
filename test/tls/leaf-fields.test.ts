// The endpoint's own reading of a leaf (CN, albatross extension) agrees with @peculiar/x509's
import { Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { certificateAlbatrossExtension, commonName, derOf } from "../../src/tls/certs.js"
import { leafFieldsFromDer, subjectDer } from "../../src/tls/leaf-fields.js"
import { x509 } from "../../src/tls/x509.js"
import { makeIntermediate, makeLeaf, makeRoot, policy } from "./pki.js"

describe("leafFieldsFromDer", () => {
  it("reads the same CN and extension as @peculiar/x509", async () => {
    const root = await makeRoot("root")
    const certs = [
      root.cert,
      (await makeIntermediate(root, "alice", policy(2, 64))).cert,
      (await makeIntermediate(root, undefined, policy(2, 64))).cert,
      (await makeLeaf(root, ".", { _tag: "UnikernelInfo" })).cert,
      (await makeLeaf(root, "wébé", { _tag: "UnikernelInfo" })).cert,
      (await makeLeaf(root, undefined, { _tag: "UnikernelDestroy" })).cert,
      (await makeLeaf(root, "x", undefined)).cert
    ]
    for (const cert of certs) {
      const fields = Either.getOrThrow(leafFieldsFromDer(derOf(cert)))
      expect(fields.commonName).toBe(commonName(cert))
      expect(fields.albatrossExtension).toEqual(certificateAlbatrossExtension(cert))
    }
    expect(Option.isSome(Either.getOrThrow(leafFieldsFromDer(derOf(certs[3]!))).albatrossExtension)).toBe(true)
    expect(Either.getOrThrow(leafFieldsFromDer(derOf(certs[6]!))).albatrossExtension).toEqual(Option.none())
  })

  it("reads the issuer and subject Names as encoded and the authority key identifier", async () => {
    const root = await makeRoot("root")
    const alice = await makeIntermediate(root, "alice", policy(2, 64))
    const certs = [
      root.cert,
      alice.cert,
      (await makeLeaf(alice, ".", { _tag: "UnikernelInfo" })).cert,
      (await makeLeaf(root, "x", { _tag: "UnikernelInfo" }, { authorityKeyId: "none" })).cert
    ]
    for (const cert of certs) {
      const fields = Either.getOrThrow(leafFieldsFromDer(derOf(cert)))
      expect(Buffer.from(fields.issuer!)).toEqual(Buffer.from(cert.issuerName.toArrayBuffer()))
      expect(Buffer.from(Either.getOrThrow(subjectDer(derOf(cert))))).toEqual(Buffer.from(cert.subjectName.toArrayBuffer()))
      const akid = cert.getExtension(x509.AuthorityKeyIdentifierExtension)
      if (akid === null) expect(fields.authorityKeyId).toBeUndefined()
      else expect({ keyId: Buffer.from(fields.authorityKeyId!.keyId!).toString("hex"), more: fields.authorityKeyId!.more }).toEqual({ keyId: akid.keyId, more: false })
    }
    // a leaf of alice's names alice's key, not the root's
    const leafAkid = Either.getOrThrow(leafFieldsFromDer(derOf(certs[2]!))).authorityKeyId!.keyId!
    expect(Buffer.from(leafAkid).toString("hex")).toBe(alice.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId)
    // an authority key identifier with the issuer's serial as well: SEQUENCE { [0] abcd, [2] 01 }
    const withSerial = (await makeLeaf(root, "y", { _tag: "UnikernelInfo" }, {
      authorityKeyId: "none",
      extra: [new x509.Extension("2.5.29.35", false, Uint8Array.from([0x30, 0x07, 0x80, 0x02, 0xab, 0xcd, 0x82, 0x01, 0x01]))]
    })).cert
    const both = Either.getOrThrow(leafFieldsFromDer(derOf(withSerial))).authorityKeyId
    expect(both !== undefined && Buffer.from(both.keyId!).toString("hex")).toBe("abcd")
    expect(both?.more).toBe(true)
  })

  it("refuses truncated and garbage input without throwing", async () => {
    const der = derOf((await makeLeaf(await makeRoot("root"), ".", { _tag: "UnikernelInfo" })).cert)
    for (let cut = 0; cut < der.length; cut += 7) expect(Either.isLeft(leafFieldsFromDer(der.subarray(0, cut)))).toBe(true)
    expect(Either.isLeft(leafFieldsFromDer(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe(true)
  })
})
