/**
 * RFC 6962 §2.1 hashing (unchanged in RFC 9162 §2.1.1), with SHA-256:
 *
 *     leafHash(d)    = SHA-256(0x00 || d)
 *     nodeHash(l, r) = SHA-256(0x01 || l || r)
 *     MTH({})        = SHA-256("")
 *
 * The 0x00 / 0x01 prefixes separate leaves from interior nodes, so no leaf can be passed off as
 * a node (second-preimage resistance).
 */

import { hash } from "node:crypto";

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/**
 * SHA-256 of `data`.
 *
 * (measured) Node's one-shot `crypto.hash` beats both `createHash().update().digest()` and
 * `@noble/hashes` `sha256` on the 33- and 65-byte inputs that leaf and node hashes are made of.
 * Node 20.20.2, 2-vCPU AMD EPYC VM (shared, load ≈ 2), median of 21 runs of 100 000 calls:
 * 33 bytes: crypto.hash 1.36 µs, noble 1.68 µs, createHash 2.33 µs;
 * 65 bytes: crypto.hash 2.03 µs, createHash 3.00 µs, noble 3.13 µs.
 * Its Buffer owns a fresh 32-byte ArrayBuffer (not the shared pool), so the view is safe to keep.
 */
export function sha256(data: Uint8Array): Uint8Array {
  const d = hash("sha256", data, "buffer");
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * The root of the empty tree, SHA-256("") (RFC 6962 §2.1):
 * e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.
 * Shared: never mutate it (functions that return the empty root return a copy).
 */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/**
 * The hash of a log entry.
 * @param leaf the entry bytes, any length
 * @returns SHA-256(0x00 || leaf), 32 fresh bytes
 */
export function leafHash(leaf: Uint8Array): Uint8Array {
  // SHA-256(0x00 || leaf), RFC 6962 §2.1
  const input = new Uint8Array(leaf.length + 1);
  input.set(leaf, 1);
  return sha256(input);
}

// (measured) Reusing one 65-byte input buffer instead of allocating one per call takes about 40%
// off nodeHash (2.28 µs vs 3.73 µs median, same machine and method). Safe because the
// hash is computed synchronously before the next call can touch the buffer.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/**
 * The hash of an interior node from its two children.
 * @param left the left child hash, 32 bytes
 * @param right the right child hash, 32 bytes
 * @returns SHA-256(0x01 || left || right), 32 fresh bytes
 * @throws RangeError when either child is not 32 bytes (a caller bug: checks that take
 *   attacker-controlled hashes validate their lengths before hashing)
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(
      `nodeHash needs two ${HASH_SIZE}-byte hashes, got ${left.length} and ${right.length} bytes`,
    );
  }
  // SHA-256(0x01 || left || right), RFC 6962 §2.1
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}
