import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bitLength,
  bitLengthOfXor,
  divMod,
  isPowerOfTwo,
  isSafeNonNegative,
  largestPowerOfTwoLessThan,
  popcount,
  trailingZeros,
} from "../../src/merkle/math.js";
import { splitPoint } from "../../src/merkle/tree.js";

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

// BigInt references: exact, no 32-bit truncation.
const bigBitLength = (n: number) => BigInt(n).toString(2).replace(/^0+/, "").length;
const bigPopcount = (n: number) => [...BigInt(n).toString(2)].filter((c) => c === "1").length;
const bigXorBitLength = (a: number, b: number) => bigBitLength(Number(BigInt(a) ^ BigInt(b)));

/** Values around the 32-bit and 53-bit boundaries, where `>>` and Math.log2 go wrong. */
const EDGES: number[] = [0, 1, 2, 3, 4, 5, 7, 8, 255, 256, 257];
for (const e of [31, 32, 33, 48, 52]) {
  for (const d of [-2, -1, 0, 1, 2]) EDGES.push(2 ** e + d);
}
EDGES.push(MAX - 2, MAX - 1, MAX);

const safeNat = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 0, max: MAX }),
  fc.constantFrom(...EDGES),
);

describe("integer helpers at 32- and 53-bit boundaries", () => {
  it("bitLength matches BigInt on the edges", () => {
    for (const n of EDGES) expect(bitLength(n), `n=${n}`).toBe(bigBitLength(n));
    expect(bitLength(2 ** 32)).toBe(33);
    expect(bitLength(2 ** 32 - 1)).toBe(32);
    expect(bitLength(2 ** 52)).toBe(53);
    expect(bitLength(MAX)).toBe(53);
  });

  it("bitLength, popcount, trailingZeros, bitLengthOfXor match BigInt (property)", () => {
    fc.assert(
      fc.property(safeNat, safeNat, (a, b) => {
        expect(bitLength(a)).toBe(bigBitLength(a));
        expect(popcount(a)).toBe(bigPopcount(a));
        expect(bitLengthOfXor(a, b)).toBe(bigXorBitLength(a, b));
        if (a > 0) {
          const tz = BigInt(a).toString(2).length - BigInt(a).toString(2).replace(/0+$/, "").length;
          expect(trailingZeros(a)).toBe(tz);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("isPowerOfTwo", () => {
    for (let e = 0; e <= 52; e++) {
      expect(isPowerOfTwo(2 ** e)).toBe(true);
      if (e >= 2) expect(isPowerOfTwo(2 ** e - 1)).toBe(false);
      if (e >= 1) expect(isPowerOfTwo(2 ** e + 1)).toBe(false);
    }
    for (const bad of [
      0,
      -1,
      -2,
      0.5,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      2 ** 60,
    ]) {
      expect(isPowerOfTwo(bad), `${bad}`).toBe(false);
    }
  });

  it("largestPowerOfTwoLessThan / splitPoint is strictly less, and the largest", () => {
    for (const n of EDGES.filter((x) => x >= 2)) {
      const k = largestPowerOfTwoLessThan(n);
      expect(isPowerOfTwo(k)).toBe(true);
      expect(k < n).toBe(true);
      expect(2 * k >= n).toBe(true);
      expect(splitPoint(n)).toBe(k);
    }
    expect(splitPoint(2)).toBe(1);
    expect(splitPoint(8)).toBe(4);
    expect(splitPoint(9)).toBe(8);
    expect(splitPoint(2 ** 32)).toBe(2 ** 31);
    expect(splitPoint(2 ** 32 + 1)).toBe(2 ** 32);
    expect(splitPoint(2 ** 52)).toBe(2 ** 51);
    expect(splitPoint(2 ** 52 + 1)).toBe(2 ** 52);
    expect(splitPoint(MAX)).toBe(2 ** 52);
  });

  it("splitPoint rejects misuse with RangeError", () => {
    for (const bad of [0, 1, -3, 2.5, Number.NaN, 2 ** 53]) {
      expect(() => splitPoint(bad), `${bad}`).toThrow(RangeError);
    }
  });

  it("divMod by 1000 is exact up to 2^53-1", () => {
    fc.assert(
      fc.property(safeNat, (n) => {
        const [q, r] = divMod(n, 1000);
        expect(BigInt(q)).toBe(BigInt(n) / 1000n);
        expect(BigInt(r)).toBe(BigInt(n) % 1000n);
      }),
      { numRuns: 2000 },
    );
    // k·1000 - 1 just below 2^53: floor(n / 1000) is one ulp from rounding up here.
    for (let k = Math.floor(MAX / 1000); k > Math.floor(MAX / 1000) - 1000; k--) {
      expect(divMod(k * 1000 - 1, 1000)).toEqual([k - 1, 999]);
    }
  });

  it("isSafeNonNegative", () => {
    for (const ok of [0, 1, MAX]) expect(isSafeNonNegative(ok)).toBe(true);
    for (const bad of [-1, 0.5, MAX + 1, Number.NaN, "1", null, undefined, 1n]) {
      expect(isSafeNonNegative(bad), String(bad)).toBe(false);
    }
  });
});
