import { readFileSync } from "node:fs";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/bytes.js";
import {
  EMPTY_ROOT,
  HASH_SIZE,
  leafHash,
  nodeHash,
  perfectTreeHash,
  sha256,
  treeHash,
} from "../../src/merkle/index.js";

interface ReferenceTree {
  leaf_inputs_hex: string[];
  node_hashes_hex: string[][];
  root_hashes_hex: string[];
}

const ref = JSON.parse(
  readFileSync(
    new URL("../../formats/vectors/merkle-reference-tree.json", import.meta.url),
    "utf8",
  ),
) as ReferenceTree;

const hex = (s: string): Uint8Array => {
  const b = fromHex(s);
  if (b === null) throw new Error(`bad hex ${s}`);
  return b;
};

/** MTH by the recursive definition of RFC 6962 §2.1, independent of the streaming code. */
function mth(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return nobleSha256(new Uint8Array(0));
  if (hashes.length === 1) return hashes[0] as Uint8Array;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nobleSha256(concatBytes(Uint8Array.of(1), mth(hashes.slice(0, k)), mth(hashes.slice(k))));
}

describe("hashing (RFC 6962 §2.1)", () => {
  it("EMPTY_ROOT is SHA-256 of the empty string", () => {
    expect(toHex(EMPTY_ROOT)).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(HASH_SIZE).toBe(32);
  });

  it("leafHash and nodeHash give every node of the reference tree", () => {
    const leaves = ref.leaf_inputs_hex.map((h) => leafHash(hex(h)));
    expect(leaves.map(toHex)).toEqual(ref.node_hashes_hex[0]);
    for (let level = 1; level < ref.node_hashes_hex.length; level++) {
      const below = (ref.node_hashes_hex[level - 1] as string[]).map(hex);
      const got = (ref.node_hashes_hex[level] as string[]).map((_, i) =>
        toHex(nodeHash(below[2 * i] as Uint8Array, below[2 * i + 1] as Uint8Array)),
      );
      expect(got).toEqual(ref.node_hashes_hex[level]);
    }
  });

  it("agrees with @noble/hashes on random inputs", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (leaf, l, r) => {
          expect(sha256(leaf)).toEqual(nobleSha256(leaf));
          expect(leafHash(leaf)).toEqual(nobleSha256(concatBytes(Uint8Array.of(0), leaf)));
          expect(nodeHash(l, r)).toEqual(nobleSha256(concatBytes(Uint8Array.of(1), l, r)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("nodeHash returns fresh bytes and does not keep its scratch buffer", () => {
    const a = leafHash(Uint8Array.of(1));
    const b = leafHash(Uint8Array.of(2));
    const first = nodeHash(a, b);
    const copy = first.slice();
    nodeHash(b, a);
    expect(first).toEqual(copy);
    expect(first.buffer.byteLength).toBe(32);
  });

  it("nodeHash throws RangeError on a child that is not 32 bytes", () => {
    const h = leafHash(new Uint8Array(0));
    expect(() => nodeHash(h, h.subarray(1))).toThrow(RangeError);
    expect(() => nodeHash(new Uint8Array(33), h)).toThrow(RangeError);
  });
});

describe("treeHash (RFC 9162 §2.1.2)", () => {
  it("gives the reference roots for sizes 0..8", () => {
    const leaves = ref.leaf_inputs_hex.map((h) => leafHash(hex(h)));
    for (let n = 0; n <= 8; n++) {
      expect(toHex(treeHash(leaves.slice(0, n))), `size ${n}`).toBe(ref.root_hashes_hex[n]);
    }
  });

  it("equals the recursive MTH for every size up to 300", () => {
    const leaves = Array.from({ length: 300 }, (_, i) =>
      leafHash(Uint8Array.of(i % 256, Math.floor(i / 256))),
    );
    for (let n = 0; n <= 300; n++) {
      expect(treeHash(leaves.slice(0, n))).toEqual(mth(leaves.slice(0, n)));
    }
  });

  it("returns copies, never EMPTY_ROOT or an input itself", () => {
    const empty = treeHash([]);
    expect(empty).toEqual(EMPTY_ROOT);
    expect(empty).not.toBe(EMPTY_ROOT);
    const h = leafHash(Uint8Array.of(9));
    const root = treeHash([h]);
    expect(root).toEqual(h);
    expect(root).not.toBe(h);
  });

  it("throws RangeError on a hash that is not 32 bytes", () => {
    expect(() => treeHash([new Uint8Array(31)])).toThrow(RangeError);
    expect(() => treeHash([leafHash(new Uint8Array(0)), new Uint8Array(0)])).toThrow(RangeError);
  });
});

describe("perfectTreeHash", () => {
  it("equals treeHash for every power-of-two count up to 256", () => {
    const leaves = Array.from({ length: 256 }, (_, i) => leafHash(Uint8Array.of(i)));
    for (let n = 1; n <= 256; n *= 2) {
      expect(perfectTreeHash(leaves.slice(0, n))).toEqual(treeHash(leaves.slice(0, n)));
    }
  });

  it("does not modify its input and copies a single hash", () => {
    const leaves = Array.from({ length: 4 }, (_, i) => leafHash(Uint8Array.of(i)));
    const before = leaves.map((h) => h.slice());
    perfectTreeHash(leaves);
    expect(leaves).toEqual(before);
    const one = perfectTreeHash([leaves[0] as Uint8Array]);
    expect(one).toEqual(leaves[0]);
    expect(one).not.toBe(leaves[0]);
  });

  it("throws RangeError on a count that is not a power of two", () => {
    const h = leafHash(new Uint8Array(0));
    for (const n of [0, 3, 5, 6, 7, 255]) {
      expect(() => perfectTreeHash(Array(n).fill(h)), `count ${n}`).toThrow(RangeError);
    }
    expect(() => perfectTreeHash([h, new Uint8Array(32 + 1)])).toThrow(RangeError);
  });
});
