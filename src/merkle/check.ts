/**
 * Verifying inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2).
 *
 * Every argument here is attacker-controlled: it comes from a proof file, an HTTP response or a
 * store that may have been altered. The checks return `false` on anything malformed (wrong-length
 * hashes, sizes that are negative, fractional or above 2^53-1, a proof that is not an array of
 * hashes) and never throw. Turning a `false` into an error that carries the evidence is the
 * caller's job.
 *
 * Edge cases follow transparency-dev/merkle `proof.VerifyInclusion` / `VerifyConsistency`
 * (the policy pinned by the transparency-dev test vectors):
 *
 * | case                | result                                                        |
 * |---------------------|---------------------------------------------------------------|
 * | index >= size       | false (so size 0 always fails)                                |
 * | size1 == 0          | false, even 0 → 0 with equal roots                            |
 * | size1 > size2       | false                                                         |
 * | size1 == size2      | true iff the proof is empty and root1 == root2 as raw bytes   |
 * | 0 < size1 < size2   | proof of exactly `consistencyProofLength` 32-byte hashes, RFC |
 */

import { bytesEqual } from "../bytes.js";
import { HASH_SIZE, nodeHash } from "./hash.js";
import { isPowerOfTwo, isSafeNonNegative } from "./math.js";
import { consistencyLength, inclusionLength } from "./proof.js";

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}

function isHashList(proof: unknown): proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) return false;
  // An index loop, not `every`: `every` skips the holes of a sparse array.
  for (let i = 0; i < proof.length; i++) if (!isHash(proof[i])) return false;
  return true;
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`.
 * @param index the leaf index, 0 ≤ index < size
 * @param size the tree size
 * @param leafHash the leaf's hash, SHA-256(0x00 || entry), 32 bytes
 * @param proof the inclusion proof, leaf level upward, each element 32 bytes
 * @param root the tree root, 32 bytes
 * @returns true when the proof holds; false for a wrong proof and for any malformed argument.
 *   Never throws.
 */
export function checkInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSafeNonNegative(index) || !isSafeNonNegative(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !isHashList(proof)) return false;
  // A wrong-length proof is rejected before any hashing, as transparency-dev/merkle does.
  if (proof.length !== inclusionLength(index, size)) return false;

  // RFC 9162 §2.1.3.2. fn walks the leaf's path, sn the tree's right edge; halving replaces the
  // RFC's right shifts, `% 2` its LSB tests (exact on safe integers, unlike 32-bit `>>`, `&`).
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      // p is a left sibling: HASH(0x01 || p || r)
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        // r was the last node on the right edge of its level: climb past the levels where it
        // has no sibling.
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      // p is a right sibling: HASH(0x01 || r || p)
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2`.
 * @param size1 the old size, ≥ 1
 * @param root1 the old root (32 bytes unless size1 == size2)
 * @param size2 the new size, ≥ size1
 * @param root2 the new root (32 bytes unless size1 == size2)
 * @param proof the consistency proof, leaf level upward, each element 32 bytes
 * @returns true when the proof holds; false for a wrong proof and for any malformed argument
 *   (see the edge-case table in the module comment). Never throws.
 */
export function checkConsistency(
  size1: number,
  root1: Uint8Array,
  size2: number,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSafeNonNegative(size1) || !isSafeNonNegative(size2)) return false;
  if (size1 === 0 || size1 > size2 || !Array.isArray(proof)) return false;
  if (size1 === size2) {
    // Raw byte comparison, no length check: transparency-dev/merkle's vectors expect success for
    // equal 12-byte roots here.
    return (
      proof.length === 0 &&
      root1 instanceof Uint8Array &&
      root2 instanceof Uint8Array &&
      bytesEqual(root1, root2)
    );
  }
  if (!isHash(root1) || !isHash(root2) || !isHashList(proof)) return false;
  if (proof.length !== consistencyLength(size1, size2)) return false;

  // RFC 9162 §2.1.4.2. When size1 is a power of two the old root is itself a node of the new
  // tree and is not sent: it seeds the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Climb to the top of the old tree's rightmost complete subtree.
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array; // the old tree's root, rebuilt
  let sr = fr; // the new tree's root, rebuilt
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      // c is a left sibling in both trees
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      // c is a right sibling that only the new tree has
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
