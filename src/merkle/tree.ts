/**
 * The Merkle Tree Hash of RFC 6962 §2.1 / RFC 9162 §2.1.1:
 *
 *     MTH({})       = SHA-256("")
 *     MTH({d0})     = leafHash(d0)
 *     MTH(D[0:n])   = nodeHash(MTH(D[0:k]), MTH(D[k:n]))   k = splitPoint(n)
 *
 * The functions here take leaf hashes, not entries: hash each entry with `leafHash` first.
 */

import { EMPTY_ROOT, HASH_SIZE, nodeHash } from "./hash.js";
import { isPowerOfTwo, largestPowerOfTwoLessThan, requireSafeNonNegative } from "./math.js";

/**
 * The RFC 6962 split point: the largest power of two strictly less than `n`.
 * For n = 2^j it is n/2 (splitPoint(8) = 4), the classic off-by-one.
 * @param n a safe integer ≥ 2
 * @throws RangeError when `n` is not a safe integer ≥ 2
 */
export function splitPoint(n: number): number {
  requireSafeNonNegative("n", n);
  if (n < 2) throw new RangeError(`splitPoint needs n >= 2, got ${n}`);
  return largestPowerOfTwoLessThan(n);
}

function requireHash(h: Uint8Array | undefined, i: number): Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new RangeError(`hash ${i} is not ${HASH_SIZE} bytes`);
  }
  return h;
}

/**
 * The root hash of the tree whose leaf hashes are `leafHashes`, in order, with the streaming
 * stack algorithm of RFC 9162 §2.1.2: O(n) hashes, O(log n) memory.
 * @param leafHashes 32-byte leaf hashes (`leafHash(entry)`), possibly none
 * @returns MTH of the leaves; a copy of `EMPTY_ROOT` when there are none
 * @throws RangeError when a hash is not 32 bytes
 */
export function treeHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT.slice();
  const stack: Uint8Array[] = [];
  for (let i = 0; i < leafHashes.length; i++) {
    stack.push(requireHash(leafHashes[i], i));
    // After pushing leaf i, merge the top two once per trailing 1 bit of i (RFC 9162 §2.1.2):
    // each merge closes a complete subtree that leaf i finished.
    for (let j = i; j % 2 === 1; j = (j - 1) / 2) {
      const right = stack.pop() as Uint8Array;
      const left = stack.pop() as Uint8Array;
      stack.push(nodeHash(left, right));
    }
  }
  // Fold the complete subtrees left on the stack from the right edge inward.
  while (stack.length > 1) {
    const right = stack.pop() as Uint8Array;
    const left = stack.pop() as Uint8Array;
    stack.push(nodeHash(left, right));
  }
  const root = stack[0] as Uint8Array;
  return leafHashes.length === 1 ? root.slice() : root;
}

/**
 * The root of a perfect (complete) subtree: hashes paired with `nodeHash`, level by level.
 * For a power-of-two count this equals `treeHash(hashes)`.
 * @param hashes 2^k hashes of 32 bytes each (k ≥ 0), the nodes of one level
 * @returns the subtree root, 32 fresh bytes (a copy of `hashes[0]` when there is one)
 * @throws RangeError when the count is not a power of two or a hash is not 32 bytes
 */
export function perfectTreeHash(hashes: readonly Uint8Array[]): Uint8Array {
  if (!isPowerOfTwo(hashes.length)) {
    throw new RangeError(`perfectTreeHash needs a power-of-two count, got ${hashes.length}`);
  }
  const level = hashes.map(requireHash);
  if (level.length === 1) return (level[0] as Uint8Array).slice();
  for (let width = level.length; width > 1; width /= 2) {
    for (let j = 0; j < width / 2; j++) {
      level[j] = nodeHash(level[2 * j] as Uint8Array, level[2 * j + 1] as Uint8Array);
    }
  }
  return level[0] as Uint8Array;
}
