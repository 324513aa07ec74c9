import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { certExtFromJson, hexToBytes, type Json } from "../support/vector-values.js"
import { decodeCertExtensionSync } from "../../src/wire/index.js"
import {
  albatrossExtensionValue,
  certificatesFromPem,
  commonName,
  readAlbatrossExtension,
  toPem
} from "../../src/tls/certs.js"
import { verifyChain } from "../../src/tls/chain.js"
import { createCsr, csrExtension, csrFromPem } from "../../src/tls/csr.js"
import { generateKeyPair, KEY_TYPES, privateKeyFromPem, privateKeyToPem, spkiOf } from "../../src/tls/keys.js"
import { checkKeyMatches, leafCommonName, makeLeaf as makeClientLeaf, preCheck } from "../../src/tls/leaf.js"
import { generate, sign, writeCsr } from "../../src/tls/ca.js"
import { x509 } from "../../src/tls/x509.js"
import { makeIntermediate, makeLeaf, makeRoot, policy } from "./pki.js"
import { vectorFile } from "../support/vectors-dir.js"

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)
const runEither = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(Effect.either(e))

const vectors: Array<{ name: string; hex: string; value: Json }> = fs
  .readFileSync(vectorFile("vectors.json"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l.replace(/,$/, "")))

describe("keys", () => {
  it.each(KEY_TYPES)("%s: generate, PEM round trip, signs a CA certificate that verifies", async (type) => {
    const key = await run(generateKeyPair(type))
    const pem = await run(privateKeyToPem(key.privateKey))
    expect(pem).toContain("-----BEGIN PRIVATE KEY-----")
    const back = await run(privateKeyFromPem(pem))
    expect(Buffer.from(await run(spkiOf(back.publicKey)))).toEqual(Buffer.from(await run(spkiOf(key.publicKey))))
    const root = await makeRoot("r", { keyType: type })
    expect(await root.cert.verify({ signatureOnly: true })).toBe(true)
  }, 60_000)

  it("reads PKCS#1 and SEC1 key files and rejects garbage", async () => {
    const crypto = await import("node:crypto")
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString()
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "sec1", format: "pem" }).toString()
    expect(rsa).toContain("RSA PRIVATE KEY")
    expect((await run(privateKeyFromPem(rsa))).privateKey.algorithm.name).toBe("RSASSA-PKCS1-v1_5")
    expect((await run(privateKeyFromPem(ec))).privateKey.algorithm.name).toBe("ECDSA")
    const bad = await runEither(privateKeyFromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
    expect(Either.isLeft(bad)).toBe(true)
  })
})

describe("albatross extension in real vectors", () => {
  it.each(["upstream/cert-leaf-console-subscribe", "upstream/cert-intermediate-policy"])("%s decodes as stated and survives a certificate", async (id) => {
    const v = vectors.find((x) => x.name === id)!
    const bytes = hexToBytes(v.hex)
    const decoded = decodeCertExtensionSync(bytes)
    expect(Either.getOrThrow(decoded)).toEqual(certExtFromJson(v.value))
    // carried in a certificate as the non-critical extension, read back byte-identical
    const root = await makeRoot()
    const cert = await makeLeaf(root, "x", undefined, { extra: [new x509.Extension("1.3.6.1.4.1.49836.42", false, bytes)] })
    const reparsed = (await run(certificatesFromPem(toPem(cert.cert))))[0]!
    const ext = reparsed.getExtension("1.3.6.1.4.1.49836.42")!
    expect(ext.critical).toBe(false)
    expect(Buffer.from(Option.getOrThrow(albatrossExtensionValue(reparsed.extensions))).toString("hex")).toBe(v.hex)
    expect(Either.getOrThrow(Option.getOrThrow(readAlbatrossExtension(reparsed.extensions)))).toEqual(certExtFromJson(v.value))
    // the OID's DER as spec §6.6 gives it
    expect(Buffer.from(reparsed.rawData).toString("hex")).toContain("06092b0601040183852c2a")
  })
})

describe("client leaf (spec §11.3)", () => {
  const info = { _tag: "UnikernelInfo" } as const

  it("CN rules: label of a root-level name, '.' for the root, the path for policy commands, else non-empty path", () => {
    expect(leafCommonName(Name.of([], "web"), info)).toEqual(Either.right("web"))
    expect(leafCommonName(Name.root, info)).toEqual(Either.right("."))
    expect(leafCommonName(Name.of(["a"], "web"), info)).toEqual(Either.left("non-empty path"))
    expect(leafCommonName(Name.of(["a", "b"]), { _tag: "PolicyInfo" })).toEqual(Either.right("a:b"))
    expect(leafCommonName(Name.root, { _tag: "PolicyInfo" })).toEqual(Either.right("."))
  })

  it("validity now-10s..now+300s, extensions as the reference, verifies against its CA", async () => {
    const root = await makeRoot()
    const now = new Date(Math.floor(Date.now() / 1000) * 1000)
    const leaf = await run(makeClientLeaf({ caCert: root.cert, caKey: root.key, keyType: "p256", commonName: "web", command: info, now }))
    const c = leaf.cert
    expect(c.notBefore.getTime()).toBe(now.getTime() - 10_000)
    expect(c.notAfter.getTime()).toBe(now.getTime() + 300_000)
    expect(commonName(c)).toBe("web")
    const ku = c.getExtension(x509.KeyUsagesExtension)!
    expect(ku.critical).toBe(true)
    expect(ku.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment)
    const bc = c.getExtension(x509.BasicConstraintsExtension)!
    expect([bc.critical, bc.ca]).toEqual([true, false])
    const eku = c.getExtension(x509.ExtendedKeyUsageExtension)!
    expect([eku.critical, eku.usages]).toEqual([true, ["1.3.6.1.5.5.7.3.2"]])
    expect(c.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull()
    expect(c.getExtension(x509.AuthorityKeyIdentifierExtension)).not.toBeNull()
    expect(Either.getOrThrow(Option.getOrThrow(readAlbatrossExtension(c.extensions)))).toEqual({ version: 5, command: info })
    expect((await run(verifyChain([c, root.cert], [root.cert]))).length).toBe(2)
  })

  it("pre-checks against the CA's policy and the key match", async () => {
    const root = await makeRoot()
    const sub = await makeIntermediate(root, "alice", policy(2, 512))
    expect(preCheck(sub.cert, { _tag: "PolicyAdd", policy: policy(3, 256) })).toEqual(
      Either.left("policy above allows 2 unikernels, which is fewer than 3")
    )
    expect(Either.isRight(preCheck(sub.cert, { _tag: "PolicyAdd", policy: policy(1, 256) }))).toBe(true)
    const other = await run(generateKeyPair("ed25519"))
    const mismatch = await runEither(checkKeyMatches(sub.cert, other))
    expect(Either.isLeft(mismatch) && mismatch.left.message).toBe("Public key of certificate doesn't match private key")
    expect(Either.isRight(await runEither(checkKeyMatches(sub.cert, sub.key)))).toBe(true)
  })
})

describe("chain validation", () => {
  it("accepts a two-level delegation and refuses broken chains with a reason", async () => {
    const root = await makeRoot()
    const a = await makeIntermediate(root, "a", policy(4, 1024))
    const b = await makeIntermediate(a, "b", policy(2, 512))
    const leaf = await makeLeaf(b, ".", { _tag: "UnikernelInfo" })
    expect((await run(verifyChain([leaf.cert, b.cert, a.cert], [root.cert]))).map(commonName)).toEqual([".", "b", "a", "root"])
    const fail = async (chain: Array<x509.X509Certificate>, anchors = [root.cert], now = new Date()) => {
      const r = await runEither(verifyChain(chain, anchors, now))
      if (Either.isRight(r)) throw new Error("chain accepted")
      return r.left.message
    }
    expect(await fail([leaf.cert, a.cert])).toMatch(/not issued by the next one/)
    expect(await fail([leaf.cert, b.cert])).toMatch(/not signed by a trusted CA/)
    expect(await fail([leaf.cert, b.cert, a.cert], [(await makeRoot()).cert])).toMatch(/not signed by a trusted CA/)
    expect(await fail([leaf.cert, b.cert, a.cert], [root.cert], new Date(Date.now() + 400 * 86_400_000))).toMatch(/expired/)
    expect(await fail([])).toBe("empty chain")
    const notCa = await makeIntermediate(root, "n", policy(1, 64), { profile: [new x509.BasicConstraintsExtension(false, undefined, true)] })
    const under = await makeLeaf(notCa, "x", { _tag: "UnikernelInfo" })
    expect(await fail([under.cert, notCa.cert])).toMatch(/is not a CA/)
    // a forged intermediate: right name, wrong key
    const forgedKeyRoot = await makeRoot("root")
    const forged = await makeIntermediate(forgedKeyRoot, "a", policy(100, 100000))
    expect(await fail([b.cert, forged.cert])).toMatch(/invalid signature|not signed/)
  })
})

describe("CSR and CA tooling (spec §11.4)", () => {
  it("CSR carries the extension request; generate and sign make a usable delegation", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-ca-"))
    const db = path.join(dir, "db")
    await run(generate("myca", db, { dir, keyType: "ed25519" }))
    expect(fs.statSync(path.join(dir, "myca.key")).mode & 0o777).toBe(0o400)
    const [ca] = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "cacert.pem"))))
    const [server] = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "server.pem"))))
    expect(commonName(ca!)).toBe("myca")
    expect(ca!.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(true)
    expect(ca!.getExtension(x509.SubjectKeyIdentifierExtension)).toBeNull()
    expect(server!.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(["1.3.6.1.5.5.7.3.1"])
    await run(verifyChain([server!], [ca!]))
    expect(fs.readFileSync(db, "utf8")).toBe(`${server!.serialNumber.toLowerCase()} server\n`)

    // a policy CSR becomes an intermediate CA, 365 days
    await run(writeCsr("alice", { _tag: "PolicyAdd", policy: policy(2, 512) }, "p256", dir))
    const csr = await run(csrFromPem(fs.readFileSync(path.join(dir, "alice.req"), "latin1")))
    expect(Either.getOrThrow(Option.getOrThrow(csrExtension(csr))).command._tag).toBe("PolicyAdd")
    await run(sign(path.join(dir, "cacert.pem"), db, path.join(dir, "myca.key"), path.join(dir, "alice.req"), { dir }))
    const alice = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "alice.pem"))))
    expect(alice.length).toBe(1) // the CA is self-signed: not appended
    expect(alice[0]!.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(true)
    const days = (alice[0]!.notAfter.getTime() - alice[0]!.notBefore.getTime()) / 86_400_000
    expect(Math.round(days)).toBe(365)

    // a bigger policy under alice is refused; a create CSR becomes a 1-day leaf, chain appended
    fs.copyFileSync(path.join(dir, "alice.pem"), path.join(dir, "alice-ca.pem"))
    await run(writeCsr("bob", { _tag: "PolicyAdd", policy: policy(3, 512) }, "ed25519", dir))
    const refused = await runEither(sign(path.join(dir, "alice-ca.pem"), db, path.join(dir, "alice.key"), path.join(dir, "bob.req"), { dir }))
    expect(Either.isLeft(refused) && refused.left.message).toBe("policy above allows 2 unikernels, which is fewer than 3")
    await run(writeCsr("web", { _tag: "UnikernelInfo" }, "ed25519", dir))
    await run(sign(path.join(dir, "alice-ca.pem"), db, path.join(dir, "alice.key"), path.join(dir, "web.req"), { dir }))
    const web = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "web.pem"))))
    expect(web.map(commonName)).toEqual(["web", "alice"])
    expect(Math.round((web[0]!.notAfter.getTime() - web[0]!.notBefore.getTime()) / 86_400_000)).toBe(1)
    await run(verifyChain(web, [ca!]))
    expect(fs.readFileSync(db, "utf8").trim().split("\n").map((l) => l.split(" ")[1])).toEqual(["server", "alice", "web"])

    // a CSR without extension becomes a server certificate
    const key = await run(generateKeyPair("rsa2048"))
    fs.writeFileSync(path.join(dir, "host.req"), (await run(createCsr("host", undefined, key))).toString("pem"))
    await run(sign(path.join(dir, "cacert.pem"), db, path.join(dir, "myca.key"), path.join(dir, "host.req"), { dir }))
    const [host] = await run(certificatesFromPem(fs.readFileSync(path.join(dir, "host.pem"))))
    expect(host!.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(["1.3.6.1.5.5.7.3.1"])
  }, 60_000)
})
