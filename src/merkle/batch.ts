/**
 * Batch hashing: many leaf or node hashes per call, over contiguous bytes. The verifier and the
 * append path hash whole entry bundles and whole tile levels at a time, so that a faster backend
 * (native, SHA-NI) can replace the per-call cost of `crypto.hash` without changing callers.
 *
 * Hashes are returned concatenated: hash i is bytes [32·i, 32·i + 32).
 *
 * Two backends give the same bytes: "native", the Node-API addon of `native/hash.c` (built at
 * install time when a compiler is there; SHA-NI when the CPU has it), and "js", one
 * `node:crypto` call per hash (`batch-js.ts`, the reference). The native one is used when it
 * loads and passes its self-test, unless the environment sets `LOGSEAL_HASH=js`.
 *
 * (measured) `bench/hashing.ts`, one core of a 2-vCPU AMD EPYC with SHA-NI, Node 20.20.2, shared
 * (load average ≈ 13), tinybench medians: a 256-entry bundle of 303-byte leaves hashes at 6.8M
 * leaves/s native against 1.2M js (0.75M with per-call `leafHash`); 128 pairs at 14.7M node
 * hashes/s against 1.4M.
 */
import { bundleLeafHashesJs, hashPairsJs, perfectRootJs } from "./batch-js.js";
import { loadNativeHashing, type NativeHashing } from "./batch-native.js";
import { HASH_SIZE } from "./hash.js";

const native: NativeHashing | null =
  process.env.LOGSEAL_HASH === "js" ? null : loadNativeHashing().addon;

/** The backend in use: "native" (the addon) or "js" (node:crypto per hash). */
export const hashBackend: "js" | "native" = native === null ? "js" : "native";

/**
 * The RFC 6962 leaf hashes of the entries of an entry bundle (`uint16_be(len) || entry`, …).
 * @returns `count` hashes concatenated, or `null` when the bundle does not hold exactly `count`
 *   well-formed entries (attacker-controlled input: never throws on it)
 */
export function bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null {
  return native === null
    ? bundleLeafHashesJs(bundle, count)
    : native.bundleLeafHashes(bundle, count);
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
  return native === null ? hashPairsJs(hashes) : native.hashPairs(hashes);
}

/**
 * The root of the perfect tree over `hashes` (a power-of-two count of 32-byte hashes,
 * concatenated), computed level by level with {@link hashPairs}.
 * @returns 32 fresh bytes
 * @throws RangeError when the count is not a power of two
 */
export function perfectRoot(hashes: Uint8Array): Uint8Array {
  const n = hashes.length / HASH_SIZE;
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new RangeError(
      `perfectRoot needs a power-of-two count of hashes, got ${hashes.length} bytes`,
    );
  }
  return native === null ? perfectRootJs(hashes) : native.perfectRoot(hashes);
}
