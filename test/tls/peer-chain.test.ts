/** §10.3 on chains made in the test, without TLS: names, policies, and the failure texts. */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { Command } from "../../src/domain/command.js"
import { authorityOf, MAX_CHAIN_LENGTH } from "../../src/tls/peer-chain.js"
import { makeIntermediate, makeLeaf, makeRoot, policy } from "./pki.js"

const info: Command = { _tag: "UnikernelInfo" }

describe("authorityOf", () => {
  it("admin path from policy-carrying CAs (others skipped), policies deepest first, leaf name", async () => {
    const root = await makeRoot()
    const plain = await makeIntermediate(root, "plain", undefined)
    const a = await makeIntermediate(plain, "A", policy(4, 1024))
    const b = await makeIntermediate(a, "b", policy(2, 512))
    const leaf = await makeLeaf(b, "Web", { _tag: "UnikernelDestroy" })
    const auth = Either.getOrThrow(authorityOf([leaf.cert, b.cert, a.cert, plain.cert, root.cert]))
    expect(auth.adminPath).toEqual(["a", "b"])
    expect(auth.policies.map((p) => p.path)).toEqual([["a", "b"], ["a"]])
    expect(auth.name.toString()).toBe("a:b:web")
    expect(auth.version).toBe(5)
  })

  it("'.', ':' and no CN name the path itself; policy info reads its CN as a path", async () => {
    const root = await makeRoot()
    const a = await makeIntermediate(root, "a", policy(4, 1024))
    for (const cn of [".", ":", undefined]) {
      const leaf = await makeLeaf(a, cn, info)
      expect(Either.getOrThrow(authorityOf([leaf.cert, a.cert])).name.toString()).toBe("a:")
    }
    const deep = await makeLeaf(a, "x:y", { _tag: "PolicyInfo" })
    expect(Either.getOrThrow(authorityOf([deep.cert, a.cert])).name.toString()).toBe("a:x:y:")
    const notPath = await makeLeaf(a, "x::y", { _tag: "PolicyInfo" })
    expect(Either.isLeft(authorityOf([notPath.cert, a.cert]))).toBe(true)
  })

  it("failure texts of the reference", async () => {
    const root = await makeRoot()
    const leaf = await makeLeaf(root, undefined, { _tag: "BlockSet", compressed: false })
    expect(authorityOf([])).toEqual(Either.left("empty chain"))
    expect(authorityOf(Array.from({ length: MAX_CHAIN_LENGTH }, () => leaf.cert))).toEqual(Either.left("certificate chain too long"))
    expect(authorityOf([leaf.cert])).toEqual(Either.left("block set may not have an empty name"))
    const nameless = await makeIntermediate(root, undefined, policy(1, 64))
    const l2 = await makeLeaf(nameless, ".", info)
    expect(authorityOf([l2.cert, nameless.cert])).toEqual(Either.left("policy add may not have an empty name"))
  })
})
