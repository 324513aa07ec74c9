// The endpoint's own reading of a leaf (CN, albatross extension) agrees with @peculiar/x509's
import { Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { certificateAlbatrossExtension, commonName, derOf } from "../../src/tls/certs.js"
import { leafFieldsFromDer } from "../../src/tls/leaf-fields.js"
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

  it("refuses truncated and garbage input without throwing", async () => {
    const der = derOf((await makeLeaf(await makeRoot("root"), ".", { _tag: "UnikernelInfo" })).cert)
    for (let cut = 0; cut < der.length; cut += 7) expect(Either.isLeft(leafFieldsFromDer(der.subarray(0, cut)))).toBe(true)
    expect(Either.isLeft(leafFieldsFromDer(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe(true)
  })
})
