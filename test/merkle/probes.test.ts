/**
 * The transparency-dev/merkle test probes (98 inclusion, 98 consistency): every case must give
 * its wantErr result. Sizes and indexes are parsed exactly: two probes carry 2^64-1, which
 * JSON.parse would silently round.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../../src/bytes.js";
import { checkConsistency, checkInclusion } from "../../src/merkle/index.js";

interface InclusionProbe {
  source_path: string;
  leafIdx: string;
  treeSize: string;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}

interface ConsistencyProbe {
  source_path: string;
  size1: string;
  size2: string;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

/** Reads a probe file with the integer fields kept as decimal strings (exact). */
function loadExact<T>(file: string, fields: string[]): { count: number; cases: T[] } {
  const text = readFileSync(new URL(`../../formats/vectors/${file}`, import.meta.url), "utf8");
  const re = new RegExp(`"(${fields.join("|")})":\\s*(-?\\d+)`, "g");
  return JSON.parse(text.replace(re, '"$1": "$2"')) as { count: number; cases: T[] };
}

/** The exact value as a number; above 2^53-1 it is unsafe, and the checks must reject it. */
function toNumber(exact: string): number {
  const big = BigInt(exact);
  const n = Number(big);
  if (BigInt(n) !== big) expect(Number.isSafeInteger(n)).toBe(false);
  return n;
}

function b64(s: string): Uint8Array {
  const b = fromBase64(s);
  if (b === null) throw new Error(`vector has non-strict base64: ${s}`);
  return b;
}

/** `null` is Go's nil slice: an empty proof. */
const proofOf = (p: string[] | null) => (p ?? []).map(b64);

const inclusion = loadExact<InclusionProbe>("merkle-inclusion-probes.json", [
  "leafIdx",
  "treeSize",
]);
const consistency = loadExact<ConsistencyProbe>("merkle-consistency-probes.json", [
  "size1",
  "size2",
]);

describe("transparency-dev inclusion probes", () => {
  it("has all 98 cases", () => {
    expect(inclusion.cases).toHaveLength(98);
    expect(inclusion.count).toBe(98);
  });

  it.each(inclusion.cases.map((c) => [c.source_path, c] as const))("%s", (_, c) => {
    const got = checkInclusion(
      toNumber(c.leafIdx),
      toNumber(c.treeSize),
      b64(c.leafHash),
      proofOf(c.proof),
      b64(c.root),
    );
    expect(got).toBe(!c.wantErr);
  });

  it("the 2^64-1 index probes are exact and rejected as unsafe numbers", () => {
    const huge = inclusion.cases.filter((c) => BigInt(c.leafIdx) === 2n ** 64n - 1n);
    expect(huge.map((c) => c.source_path)).toEqual([
      "testdata/inclusion/0/leafIdx-sub-@1.json",
      "testdata/inclusion/1/leafIdx-sub-@1.json",
    ]);
    for (const c of huge) {
      const idx = toNumber(c.leafIdx);
      expect(Number.isSafeInteger(idx)).toBe(false);
      expect(checkInclusion(idx, 2 ** 53, b64(c.leafHash), proofOf(c.proof), b64(c.root))).toBe(
        false,
      );
    }
  });
});

describe("transparency-dev consistency probes", () => {
  it("has all 98 cases", () => {
    expect(consistency.cases).toHaveLength(98);
  });

  it.each(consistency.cases.map((c) => [c.source_path, c] as const))("%s", (_, c) => {
    const got = checkConsistency(
      toNumber(c.size1),
      b64(c.root1),
      toNumber(c.size2),
      b64(c.root2),
      proofOf(c.proof),
    );
    expect(got).toBe(!c.wantErr);
  });

  it("the equal-size case with 12-byte roots passes (raw byte comparison)", () => {
    const c = consistency.cases.find((x) =>
      x.source_path.endsWith("sizes-are-equal-one-and-proof-is-empty.json"),
    ) as ConsistencyProbe;
    expect(b64(c.root1)).toHaveLength(12);
    expect(checkConsistency(1, b64(c.root1), 1, b64(c.root2), [])).toBe(true);
  });
});

describe("checks never throw on garbage", () => {
  const h = new Uint8Array(32);
  const garbageNumbers: unknown[] = [
    -1,
    0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    2 ** 64,
    "1",
    null,
    undefined,
    1n,
  ];
  const garbageHashes: unknown[] = [
    null,
    undefined,
    new Uint8Array(31),
    new Uint8Array(33),
    "AAAA",
    [1, 2, 3],
    {},
    new Uint16Array(16),
  ];
  const garbageProofs: unknown[] = [
    null,
    undefined,
    "proof",
    {},
    [null],
    [new Uint8Array(31)],
    // biome-ignore lint/suspicious/noSparseArray: a sparse array is exactly the garbage tested
    [, h],
    { length: 1, 0: h },
  ];

  it("checkInclusion returns false", () => {
    const anyCheck = checkInclusion as (...args: unknown[]) => boolean;
    for (const n of garbageNumbers) {
      expect(anyCheck(n, 4, h, [h, h], h)).toBe(false);
      expect(anyCheck(0, n, h, [h, h], h)).toBe(false);
    }
    for (const g of garbageHashes) {
      expect(anyCheck(0, 2, g, [h], h)).toBe(false);
      expect(anyCheck(0, 2, h, [h], g)).toBe(false);
    }
    for (const p of garbageProofs) expect(anyCheck(0, 2, h, p, h)).toBe(false);
  });

  it("checkConsistency returns false", () => {
    const anyCheck = checkConsistency as (...args: unknown[]) => boolean;
    for (const n of garbageNumbers) {
      expect(anyCheck(n, h, 4, h, [h])).toBe(false);
      expect(anyCheck(1, h, n, h, [h])).toBe(false);
    }
    for (const g of garbageHashes) {
      expect(anyCheck(1, g, 2, h, [h])).toBe(false);
      expect(anyCheck(1, h, 2, g, [h])).toBe(false);
      expect(anyCheck(1, g, 1, h, [])).toBe(false);
      expect(anyCheck(1, h, 1, g, [])).toBe(false);
    }
    for (const p of garbageProofs) {
      expect(anyCheck(1, h, 2, h, p)).toBe(false);
      expect(anyCheck(1, h, 1, h, p)).toBe(false);
    }
  });
});
