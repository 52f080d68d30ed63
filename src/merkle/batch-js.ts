/**
 * The reference batch hashing backend: one `node:crypto` call per hash, the same calls as
 * `leafHash` and `nodeHash` in `hash.ts`. The native addon must give the same bytes; tests and
 * benchmarks compare the two directly. Callers use `batch.ts`, which validates arguments and
 * picks the backend.
 */
import { hash } from "node:crypto";
import { HASH_SIZE } from "./hash.js";

// (measured) One input buffer for the whole batch instead of leafHash's fresh one per entry,
// and one copy of each pair instead of nodeHash's two, take about 25% off a 256-entry bundle
// of 303-byte leaves (840 ns/leaf against 1120) and 15% off 128 pairs (670 ns/node against
// 795), 2-vCPU AMD EPYC, Node 20.20.2. Safe because each hash is computed synchronously before
// the buffer is refilled.
const input = new Uint8Array(1 + 0xffff);

/**
 * See `bundleLeafHashes` in `batch.ts`.
 * @returns `count` hashes concatenated, or `null` when the bundle does not hold exactly `count`
 *   well-formed entries (attacker-controlled input: never throws on it)
 */
export function bundleLeafHashesJs(bundle: Uint8Array, count: number): Uint8Array | null {
  // Every entry takes at least its two length bytes: a larger count cannot fit, and must not
  // reach the allocation below (a count from a hostile checkpoint could be 2^52).
  if (!Number.isSafeInteger(count) || count < 0 || count > bundle.length / 2) return null;
  const out = new Uint8Array(count * HASH_SIZE);
  input[0] = 0x00;
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 2 > bundle.length) return null;
    const len = ((bundle[off] as number) << 8) | (bundle[off + 1] as number);
    off += 2;
    if (off + len > bundle.length) return null;
    // SHA-256(0x00 || entry), RFC 6962 §2.1
    input.set(bundle.subarray(off, off + len), 1);
    out.set(hash("sha256", input.subarray(0, 1 + len), "buffer"), i * HASH_SIZE);
    off += len;
  }
  return off === bundle.length ? out : null;
}

/**
 * See `hashPairs` in `batch.ts`; the caller has checked that the length is a multiple of 64.
 */
export function hashPairsJs(hashes: Uint8Array): Uint8Array {
  const n = hashes.length / (2 * HASH_SIZE);
  const out = new Uint8Array(n * HASH_SIZE);
  const pair = input.subarray(0, 1 + 2 * HASH_SIZE);
  pair[0] = 0x01;
  for (let i = 0; i < n; i++) {
    // SHA-256(0x01 || left || right), RFC 6962 §2.1
    pair.set(hashes.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
    out.set(hash("sha256", pair, "buffer"), i * HASH_SIZE);
  }
  return out;
}

/**
 * See `perfectRoot` in `batch.ts`; the caller has checked the count is a power of two.
 */
export function perfectRootJs(hashes: Uint8Array): Uint8Array {
  let level = hashes;
  while (level.length > HASH_SIZE) level = hashPairsJs(level);
  return level.slice();
}
