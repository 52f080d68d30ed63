/**
 * Laws of the Merkle layer, checked exhaustively on small trees and with fast-check on larger
 * ones. LOGSEAL_LONG_PROPS=1 runs more cases over bigger trees.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual, utf8 } from "../../src/bytes.js";
import {
  appendToTiles,
  checkConsistency,
  checkInclusion,
  consistencyPath,
  consistencyProofLength,
  inclusionPath,
  inclusionProofLength,
  leafHash,
  nodeHash,
  proveConsistency,
  proveConsistencyFromTiles,
  proveInclusion,
  proveInclusionFromTiles,
  type SubtreeHasher,
  splitPoint,
  type TileReader,
  tilesForSize,
  treeHash,
  treeHashFromTiles,
} from "../../src/merkle/index.js";

const LONG = process.env.LOGSEAL_LONG_PROPS === "1";
const EXHAUSTIVE_INCLUSION = LONG ? 1024 : 300; // every (index, size) with size ≤ this
const EXHAUSTIVE_CONSISTENCY = LONG ? 300 : 100; // every (m, n) with n ≤ this
const LEAVES = LONG ? 100_000 : 5000; // the largest tree sampled
const RUNS = LONG ? 20_000 : 400;
const TILE_SIZES = LONG ? 70_000 : 3000;
const TILE_RUNS = LONG ? 60 : 100;
/** Per-test timeout: the long run takes minutes. */
const TIMEOUT = LONG ? 900_000 : 30_000;

const leaves = Array.from({ length: LEAVES }, (_, i) => leafHash(utf8(`leaf ${i}`)));

/** MTH(D[lo:hi]) by the RFC recursion, memoised across all sizes (it does not depend on n). */
const memo = new Map<string, Uint8Array>();
const sub: SubtreeHasher = (lo, hi) => {
  if (hi - lo === 1) return leaves[lo] as Uint8Array;
  const key = `${lo}:${hi}`;
  let h = memo.get(key);
  if (h === undefined) {
    const mid = lo + splitPoint(hi - lo);
    h = nodeHash(sub(lo, mid), sub(mid, hi));
    memo.set(key, h);
  }
  return h;
};
const root = (n: number) => sub(0, n);

/** A copy of `b` with byte `at` changed (to a different value). */
function changed(b: Uint8Array, at: number, by: number): Uint8Array {
  const out = b.slice();
  out[at] = ((out[at] as number) + 1 + (by % 255)) % 256;
  return out;
}

const sizeAndIndex = fc
  .integer({ min: 1, max: LEAVES })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
const twoSizes = fc
  .integer({ min: 2, max: LEAVES })
  .chain((n) => fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.constant(n)));

describe("inclusion proofs", { timeout: TIMEOUT }, () => {
  it(`verify for every (index, size), size ≤ ${EXHAUSTIVE_INCLUSION}`, () => {
    const failures: string[] = [];
    for (let n = 1; n <= EXHAUSTIVE_INCLUSION; n++) {
      const r = root(n);
      for (let i = 0; i < n; i++) {
        const proof = proveInclusion(i, n, sub);
        const ok =
          proof.length === inclusionProofLength(i, n) &&
          checkInclusion(i, n, leaves[i] as Uint8Array, proof, r);
        if (!ok) failures.push(`${i} in ${n}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it(`verify for random (index, size), size ≤ ${LEAVES}`, () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, i]) => {
        const proof = proveInclusion(i, n, sub);
        expect(proof).toHaveLength(inclusionProofLength(i, n));
        expect(checkInclusion(i, n, leaves[i] as Uint8Array, proof, root(n))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  // Tampering: a byte of the proof, leaf or root; an element dropped or added; index ± 1;
  // size ± 1 together with that size's root.
  it("fail after any tampering", () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("proof" as const),
        at: fc.nat(),
        byte: fc.nat(31),
        by: fc.nat(),
      }),
      fc.record({ kind: fc.constant("leaf" as const), byte: fc.nat(31), by: fc.nat() }),
      fc.record({ kind: fc.constant("root" as const), byte: fc.nat(31), by: fc.nat() }),
      fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("add" as const),
        at: fc.nat(),
        extra: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      }),
      fc.record({ kind: fc.constant("index" as const), delta: fc.constantFrom(-1, 1) }),
      fc.record({ kind: fc.constant("size" as const), delta: fc.constantFrom(-1, 1) }),
    );
    fc.assert(
      fc.property(sizeAndIndex, mutation, ([n, i], m) => {
        let proof = proveInclusion(i, n, sub);
        let leaf = leaves[i] as Uint8Array;
        let r = root(n);
        let index = i;
        let size = n;
        switch (m.kind) {
          case "proof":
            if (proof.length === 0) return; // nothing to change
            proof = proof.map((p, j) => (j === m.at % proof.length ? changed(p, m.byte, m.by) : p));
            break;
          case "leaf":
            leaf = changed(leaf, m.byte, m.by);
            break;
          case "root":
            r = changed(r, m.byte, m.by);
            break;
          case "drop":
            if (proof.length === 0) return;
            proof = proof.filter((_, j) => j !== m.at % proof.length);
            break;
          case "add": {
            const at = m.at % (proof.length + 1);
            proof = [...proof.slice(0, at), m.extra, ...proof.slice(at)];
            break;
          }
          case "index":
            index = i + m.delta;
            break;
          case "size":
            size = n + m.delta;
            if (size < 1 || size > LEAVES) return;
            r = root(size); // the honest root of the other size: the proof must not carry over
            break;
        }
        expect(checkInclusion(index, size, leaf, proof, r)).toBe(false);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("bind the proof to the (size, root) pair: the size alone is not authenticated", () => {
    // Leaf 0's path in a tree of 5 has the same shape in a tree of 6, so the size-5 proof and
    // root also pass as size 6. This is why size and root must come from one signed checkpoint.
    const proof = proveInclusion(0, 5, sub);
    expect(checkInclusion(0, 6, leaves[0] as Uint8Array, proof, root(5))).toBe(true);
    expect(checkInclusion(0, 6, leaves[0] as Uint8Array, proof, root(6))).toBe(false);
  });
});

describe("consistency proofs", { timeout: TIMEOUT }, () => {
  it(`verify for every (m, n), 1 ≤ m ≤ n ≤ ${EXHAUSTIVE_CONSISTENCY}`, () => {
    const failures: string[] = [];
    for (let n = 1; n <= EXHAUSTIVE_CONSISTENCY; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = proveConsistency(m, n, sub);
        const ok =
          proof.length === consistencyProofLength(m, n) &&
          checkConsistency(m, root(m), n, root(n), proof);
        if (!ok) failures.push(`${m} -> ${n}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it(`verify for random (m, n), n ≤ ${LEAVES}, and chain`, () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), ([m, n], k) => {
        const proof = proveConsistency(m, n, sub);
        expect(proof).toHaveLength(consistencyProofLength(m, n));
        expect(checkConsistency(m, root(m), n, root(n), proof)).toBe(true);
        // m -> mid -> n and m -> n all hold
        const mid = m + (k % (n - m + 1));
        expect(checkConsistency(m, root(m), mid, root(mid), proveConsistency(m, mid, sub))).toBe(
          true,
        );
        expect(checkConsistency(mid, root(mid), n, root(n), proveConsistency(mid, n, sub))).toBe(
          true,
        );
      }),
      { numRuns: RUNS },
    );
  });

  // Tampering: a byte of the proof or of either root; an element dropped or added; either size
  // ± 1 together with that size's root.
  it("fail after any tampering", () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("proof" as const),
        at: fc.nat(),
        byte: fc.nat(31),
        by: fc.nat(),
      }),
      fc.record({ kind: fc.constant("root1" as const), byte: fc.nat(31), by: fc.nat() }),
      fc.record({ kind: fc.constant("root2" as const), byte: fc.nat(31), by: fc.nat() }),
      fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("add" as const),
        at: fc.nat(),
        extra: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      }),
      fc.record({ kind: fc.constant("size1" as const), delta: fc.constantFrom(-1, 1) }),
      fc.record({ kind: fc.constant("size2" as const), delta: fc.constantFrom(-1, 1) }),
    );
    fc.assert(
      fc.property(twoSizes, mutation, ([m0, n0], mu) => {
        let proof = proveConsistency(m0, n0, sub);
        let m = m0;
        let n = n0;
        let r1 = root(m0);
        let r2 = root(n0);
        switch (mu.kind) {
          case "proof":
            proof = proof.map((p, j) =>
              j === mu.at % proof.length ? changed(p, mu.byte, mu.by) : p,
            );
            break;
          case "root1":
            r1 = changed(r1, mu.byte, mu.by);
            break;
          case "root2":
            r2 = changed(r2, mu.byte, mu.by);
            break;
          case "drop":
            proof = proof.filter((_, j) => j !== mu.at % proof.length);
            break;
          case "add": {
            const at = mu.at % (proof.length + 1);
            proof = [...proof.slice(0, at), mu.extra, ...proof.slice(at)];
            break;
          }
          case "size1":
            m = m0 + mu.delta;
            if (m >= 1) r1 = root(m);
            break;
          case "size2":
            n = n0 + mu.delta;
            if (n > LEAVES) return;
            r2 = root(n);
            break;
        }
        expect(checkConsistency(m, r1, n, r2, proof)).toBe(false);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe("paths", { timeout: TIMEOUT }, () => {
  it("every range is a node of the RFC recursion and lies inside the tree", () => {
    fc.assert(
      fc.property(sizeAndIndex, twoSizes, ([n, i], [a, b]) => {
        for (const [lo, hi, size] of [
          ...inclusionPath(i, n).map(([lo, hi]) => [lo, hi, n] as const),
          ...consistencyPath(a, b).map(([lo, hi]) => [lo, hi, b] as const),
        ]) {
          expect(lo < hi && hi <= size).toBe(true);
          let p = 1;
          while (p < hi - lo) p *= 2;
          expect(lo % p).toBe(0);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("tiles", { timeout: TIMEOUT }, () => {
  it(`appendToTiles in random batches: same tiles, roots, proofs (size ≤ ${TILE_SIZES})`, async () => {
    const big = Array.from({ length: TILE_SIZES }, (_, i) => leafHash(utf8(`tile leaf ${i}`)));
    const batches = fc
      .integer({ min: 0, max: TILE_SIZES })
      .chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, size - 1) }), { maxLength: 12 }),
          fc.nat(),
        ),
      );
    await fc.assert(
      fc.asyncProperty(batches, async ([size, cuts, seed]) => {
        const tiles = new Map<string, Uint8Array>();
        const read: TileReader = async (l, n) => tiles.get(`${l}/${n}`) ?? new Uint8Array(0);
        const bounds = [0, ...cuts.filter((c) => c < size).sort((x, y) => x - y), size];
        for (let b = 1; b < bounds.length; b++) {
          const from = bounds[b - 1] as number;
          const to = bounds[b] as number;
          for (const t of (await appendToTiles(from, big.slice(from, to), read)).values()) {
            tiles.set(`${t.level}/${t.index}`, t.bytes);
          }
        }
        const oneBatch = await appendToTiles(0, big.slice(0, size), async () => new Uint8Array(0));
        // bytesEqual, not toEqual: deep equality walks typed arrays element by element, slowly.
        expect([...oneBatch.keys()].sort()).toEqual([...tiles.keys()].sort());
        for (const [k, t] of oneBatch)
          expect(bytesEqual(t.bytes, tiles.get(k) as Uint8Array)).toBe(true);
        expect(tiles.size).toBe(tilesForSize(size).length);

        const want = treeHash(big.slice(0, size));
        const got = await treeHashFromTiles(size, read);
        expect(bytesEqual(got, want)).toBe(true);
        if (size > 0) {
          const index = seed % size;
          const proof = await proveInclusionFromTiles(index, size, read);
          expect(checkInclusion(index, size, big[index] as Uint8Array, proof, want)).toBe(true);
          const m = 1 + (seed % size);
          const cproof = await proveConsistencyFromTiles(m, size, read);
          const old = await treeHashFromTiles(m, read);
          expect(bytesEqual(old, treeHash(big.slice(0, m)))).toBe(true);
          expect(checkConsistency(m, old, size, want, cproof)).toBe(true);
        }
      }),
      { numRuns: TILE_RUNS },
    );
  });
});
