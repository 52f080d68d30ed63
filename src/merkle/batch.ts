/**
 * Batch hashing: many leaf or node hashes per call, over contiguous bytes. The verifier and the
 * append path hash whole entry bundles and whole tile levels at a time, so that a faster backend
 * (native, SHA-NI) can replace the per-call cost of `crypto.hash` without changing callers.
 *
 * Hashes are returned concatenated: hash i is bytes [32·i, 32·i + 32).
 */
import { HASH_SIZE, leafHash, nodeHash } from "./hash.js";

/** The backend in use: "js" (node:crypto per hash). */
export const hashBackend: "js" | "native" = "js";

/**
 * The RFC 6962 leaf hashes of the entries of an entry bundle (`uint16_be(len) || entry`, …).
 * @returns `count` hashes concatenated, or `null` when the bundle does not hold exactly `count`
 *   well-formed entries (attacker-controlled input: never throws on it)
 */
export function bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null {
  if (!Number.isSafeInteger(count) || count < 0) return null;
  const out = new Uint8Array(count * HASH_SIZE);
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 2 > bundle.length) return null;
    const len = ((bundle[off] as number) << 8) | (bundle[off + 1] as number);
    off += 2;
    if (off + len > bundle.length) return null;
    out.set(leafHash(bundle.subarray(off, off + len)), i * HASH_SIZE);
    off += len;
  }
  return off === bundle.length ? out : null;
}

/**
 * Node hashes of consecutive pairs: hash i of the result is
 * SHA-256(0x01 || hashes[2i] || hashes[2i+1]), RFC 6962 §2.1.
 * @param hashes an even number of 32-byte hashes, concatenated
 * @throws RangeError when the length is not a multiple of 64
 */
export function hashPairs(hashes: Uint8Array): Uint8Array {
  if (hashes.length % (2 * HASH_SIZE) !== 0) {
    throw new RangeError(
      `hashPairs needs pairs of ${HASH_SIZE}-byte hashes, got ${hashes.length} bytes`,
    );
  }
  const n = hashes.length / (2 * HASH_SIZE);
  const out = new Uint8Array(n * HASH_SIZE);
  for (let i = 0; i < n; i++) {
    const l = hashes.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE);
    const r = hashes.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE);
    out.set(nodeHash(l, r), i * HASH_SIZE);
  }
  return out;
}

/**
 * The root of the perfect tree over `hashes` (a power-of-two count of 32-byte hashes,
 * concatenated), computed level by level with {@link hashPairs}.
 * @throws RangeError when the count is not a power of two
 */
export function perfectRoot(hashes: Uint8Array): Uint8Array {
  const n = hashes.length / HASH_SIZE;
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new RangeError(
      `perfectRoot needs a power-of-two count of hashes, got ${hashes.length} bytes`,
    );
  }
  let level = hashes;
  while (level.length > HASH_SIZE) level = hashPairs(level);
  return level.slice();
}
