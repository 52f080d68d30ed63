/**
 * Integer helpers for tree sizes and indexes.
 *
 * Sizes and indexes are JS numbers restricted to safe integers (0 ≤ n ≤ 2^53-1). The 32-bit
 * bitwise operators (`&`, `|`, `^`, `>>`, `<<`) truncate their operands to 32 bits and so break
 * above 2^31; nothing in `src/merkle` applies them to a size or an index. These helpers use
 * arithmetic instead: division by a power of two and `Math.floor` are exact on safe integers.
 */

const TWO_POW_32 = 2 ** 32;

/** True when `n` is a number, an integer, and 0 ≤ n ≤ 2^53-1. Never throws. */
export function isSafeNonNegative(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/** Throws a RangeError unless `n` is a safe non-negative integer. For programmer misuse only. */
export function requireSafeNonNegative(name: string, n: number): void {
  if (!isSafeNonNegative(n)) {
    throw new RangeError(`${name} must be a safe integer >= 0, got ${String(n)}`);
  }
}

/**
 * The number of bits needed to write `n` in binary: 0 for 0, 1 for 1, 3 for 4..7, 53 for 2^53-1.
 * `n` must be a safe non-negative integer (not checked).
 */
export function bitLength(n: number): number {
  // Math.clz32 sees one 32-bit half at a time; the halves are split arithmetically, so the
  // result is exact over the whole safe range (Math.log2 rounds up near 2^53).
  const hi = Math.floor(n / TWO_POW_32);
  if (hi > 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(n);
}

/** True for 1, 2, 4, …, 2^52. False for 0 and for anything that is not a safe integer. */
export function isPowerOfTwo(n: number): boolean {
  return isSafeNonNegative(n) && n > 0 && 2 ** (bitLength(n) - 1) === n;
}

/**
 * The largest power of two strictly less than `n` (the RFC 6962 split point `k`): 1 for 2, 2 for
 * 3 and 4, 4 for 5..8. `n` must be a safe integer ≥ 2 (not checked).
 */
export function largestPowerOfTwoLessThan(n: number): number {
  // k = 2^(bitlen(n-1) - 1); for n = 2^j this is n/2, not n.
  return 2 ** (bitLength(n - 1) - 1);
}

/** The number of 1 bits of a safe non-negative integer. */
export function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/** The number of trailing 0 bits of a safe integer `n` ≥ 1 (0 for odd `n`). */
export function trailingZeros(n: number): number {
  let z = 0;
  for (let x = n; x > 0 && x % 2 === 0; x /= 2) z++;
  return z;
}

/**
 * `bitLength(a XOR b)` without a 32-bit XOR: the number of low bits that must be dropped from
 * `a` and `b` before what remains is equal. Both must be safe non-negative integers.
 */
export function bitLengthOfXor(a: number, b: number): number {
  let k = 0;
  for (let x = a, y = b; x !== y; x = Math.floor(x / 2), y = Math.floor(y / 2)) k++;
  return k;
}

/**
 * Exact `[floor(n / d), n mod d]` for a safe non-negative integer `n` and a small positive
 * integer divisor `d` that need not be a power of two. `Math.floor(n / 1000)` can round up to the
 * next integer near 2^53; subtracting the remainder first keeps the division exact.
 */
export function divMod(n: number, d: number): [quotient: number, remainder: number] {
  const r = n % d;
  return [(n - r) / d, r];
}
