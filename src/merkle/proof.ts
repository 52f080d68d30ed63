/**
 * Building inclusion and consistency proofs (RFC 9162 §2.1.3.1 and §2.1.4.1).
 *
 * A proof is a list of subtree hashes MTH(D[lo:hi]) ordered from the leaf level upward
 * (element 0 is the sibling nearest the leaf). The functions here first work out which subtrees
 * (`inclusionPath`, `consistencyPath`), then ask a `subtreeHash(lo, hi)` callback for each, so
 * the same code serves an in-memory tree, a hash store or tiles:
 *
 *     PATH(m, D[0:n]), 0 <= m < n:
 *       n == 1: []
 *       m <  k: PATH(m, D[0:k])   ++ [MTH(D[k:n])]        k = splitPoint(n)
 *       m >= k: PATH(m-k, D[k:n]) ++ [MTH(D[0:k])]
 *
 *     PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true), 0 < m < n:
 *       m == n:  b ? [] : [MTH(D[0:m])]
 *       m <= k:  SUBPROOF(m, D[0:k], b)        ++ [MTH(D[k:n])]
 *       m >  k:  SUBPROOF(m-k, D[k:n], false)  ++ [MTH(D[0:k])]
 *
 * Every range produced is a node of the RFC recursion: `lo` is a multiple of the smallest power
 * of two ≥ `hi - lo`.
 */

import {
  bitLengthOfXor,
  isPowerOfTwo,
  largestPowerOfTwoLessThan,
  popcount,
  requireSafeNonNegative,
  trailingZeros,
} from "./math.js";

/** A subtree as the half-open leaf range [lo, hi): its hash is MTH(D[lo:hi]). */
export type SubtreeRange = [lo: number, hi: number];

/** Returns MTH(D[lo:hi]) for the tree being proved, 32 bytes. */
export type SubtreeHasher = (lo: number, hi: number) => Uint8Array;

function requireIndexInSize(index: number, size: number): void {
  requireSafeNonNegative("index", index);
  requireSafeNonNegative("size", size);
  if (index >= size) throw new RangeError(`index ${index} is not below tree size ${size}`);
}

function requireSizes(m: number, n: number): void {
  requireSafeNonNegative("old size", m);
  requireSafeNonNegative("new size", n);
  if (m > n) throw new RangeError(`old size ${m} is greater than new size ${n}`);
}

/**
 * The subtrees whose hashes form the inclusion proof of leaf `index` in a tree of `size` leaves
 * (PATH of RFC 9162 §2.1.3.1), leaf level upward.
 * @throws RangeError unless 0 ≤ index < size, both safe integers
 */
export function inclusionPath(index: number, size: number): SubtreeRange[] {
  requireIndexInSize(index, size);
  const topDown: SubtreeRange[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const mid = lo + largestPowerOfTwoLessThan(hi - lo);
    if (index < mid) {
      topDown.push([mid, hi]);
      hi = mid;
    } else {
      topDown.push([lo, mid]);
      lo = mid;
    }
  }
  return topDown.reverse();
}

/**
 * The subtrees whose hashes form the consistency proof from the tree of `m` leaves to the tree
 * of `n` leaves (PROOF of RFC 9162 §2.1.4.1), leaf level upward.
 *
 * For m == n and for m == 0 the proof is empty, as transparency-dev/merkle builds it; note that
 * `checkConsistency` rejects old size 0 by policy, so callers that accept an empty old tree (the
 * C2SP witness protocol does) must special-case it.
 * @throws RangeError unless 0 ≤ m ≤ n, both safe integers
 */
export function consistencyPath(m: number, n: number): SubtreeRange[] {
  requireSizes(m, n);
  if (m === 0 || m === n) return [];
  const topDown: SubtreeRange[] = [];
  let lo = 0;
  let hi = n;
  let complete = true; // the RFC's b: is [lo, hi) still a prefix the old tree has whole
  for (;;) {
    if (m === hi) {
      // The old tree's last node is [lo, hi) itself; the verifier knows it only when it is the
      // whole old tree (b), otherwise the proof must carry it.
      if (!complete) topDown.push([lo, hi]);
      break;
    }
    const mid = lo + largestPowerOfTwoLessThan(hi - lo);
    if (m <= mid) {
      topDown.push([mid, hi]);
      hi = mid;
    } else {
      topDown.push([lo, mid]);
      lo = mid;
      complete = false;
    }
  }
  return topDown.reverse();
}

/**
 * The exact number of hashes in the inclusion proof of `index` in a tree of `size` leaves:
 * `inner + border` with `inner = bitlen(index XOR (size-1))` and
 * `border = popcount(index >> inner)` (transparency-dev/merkle `decompInclProof`).
 * @throws RangeError unless 0 ≤ index < size, both safe integers
 */
export function inclusionProofLength(index: number, size: number): number {
  requireIndexInSize(index, size);
  return inclusionLength(index, size);
}

/** `inclusionProofLength` for arguments already validated. */
export function inclusionLength(index: number, size: number): number {
  const inner = bitLengthOfXor(index, size - 1);
  const border = popcount(Math.floor(index / 2 ** inner));
  return inner + border;
}

/**
 * The exact number of hashes in the consistency proof from size `m` to size `n`: 0 when m == 0
 * or m == n; otherwise, with `inner`, `border` as for the inclusion of leaf m-1 in size n and
 * `shift = ctz(m)`: `(m is a power of two ? 0 : 1) + (inner - shift) + border`.
 * @throws RangeError unless 0 ≤ m ≤ n, both safe integers
 */
export function consistencyProofLength(m: number, n: number): number {
  requireSizes(m, n);
  if (m === 0 || m === n) return 0;
  return consistencyLength(m, n);
}

/** `consistencyProofLength` for 0 < m < n already validated. */
export function consistencyLength(m: number, n: number): number {
  const inner = bitLengthOfXor(m - 1, n - 1);
  const border = popcount(Math.floor((m - 1) / 2 ** inner));
  const shift = trailingZeros(m); // shift < inner whenever m < n
  return (isPowerOfTwo(m) ? 0 : 1) + (inner - shift) + border;
}

/**
 * The inclusion proof of leaf `index` in the tree of `size` leaves.
 * @param subtreeHash returns MTH(D[lo:hi]) of that tree
 * @returns the proof hashes, leaf level upward (empty for a one-leaf tree)
 * @throws RangeError unless 0 ≤ index < size; whatever `subtreeHash` throws
 */
export function proveInclusion(
  index: number,
  size: number,
  subtreeHash: SubtreeHasher,
): Uint8Array[] {
  return inclusionPath(index, size).map(([lo, hi]) => subtreeHash(lo, hi));
}

/**
 * The consistency proof from the tree of `m` leaves to the tree of `n` leaves.
 * @param subtreeHash returns MTH(D[lo:hi]) of the larger tree
 * @returns the proof hashes, leaf level upward (empty when m == 0 or m == n)
 * @throws RangeError unless 0 ≤ m ≤ n; whatever `subtreeHash` throws
 */
export function proveConsistency(m: number, n: number, subtreeHash: SubtreeHasher): Uint8Array[] {
  return consistencyPath(m, n).map(([lo, hi]) => subtreeHash(lo, hi));
}
