/**
 * Loading the native hashing addon (`native/hash.c`, a Node-API module built at install time
 * by `native/build.mjs`). Missing or broken, it is simply not used: `batch.ts` falls back to
 * the `node:crypto` backend.
 */
import { type AddonLoad, addonPaths, loadAddon } from "../native-addon.js";
import { bundleLeafHashesJs, hashPairsJs, perfectRootJs } from "./batch-js.js";

/** What the addon exports; each function mirrors the one of the same name in `batch.ts`. */
export interface NativeHashing {
  bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null;
  hashPairs(hashes: Uint8Array): Uint8Array;
  perfectRoot(hashes: Uint8Array): Uint8Array;
  /** The SHA-256 code in use: x86 SHA extensions or portable C. */
  readonly implementation: "sha-ni" | "portable";
  /** Switches the SHA-256 code process-wide (tests and benchmarks); false if not available. */
  setImplementation(name: "sha-ni" | "portable"): boolean;
}

/** The outcome of {@link loadNativeHashing}. */
export type NativeLoad = AddonLoad<NativeHashing>;

const ADDON = "native/build/Release/logseal_hash.node";

export const nativeAddonPaths: readonly string[] = addonPaths(ADDON);

/**
 * Loads the addon and checks it against the reference backend on a few known inputs (a leaf
 * of each block layout, an odd pair count, a 4-leaf root), so that a miscompiled addon is
 * never used. Never throws.
 */
export function loadNativeHashing(): NativeLoad {
  return loadAddon(nativeAddonPaths, selfTest);
}

function selfTest(addon: NativeHashing): string | null {
  // Entry sizes around the one-, two- and three-block boundaries of 0x00 || entry.
  const sizes = [0, 1, 54, 55, 63, 118, 119, 127, 128, 300];
  const bundle = new Uint8Array(sizes.reduce((n, s) => n + 2 + s, 0));
  let off = 0;
  for (const s of sizes) {
    bundle[off] = s >> 8;
    bundle[off + 1] = s & 0xff;
    for (let j = 0; j < s; j++) bundle[off + 2 + j] = (j * 131 + s) & 0xff;
    off += 2 + s;
  }
  const leaves = bundleLeafHashesJs(bundle, sizes.length) as Uint8Array;
  if (!equal(addon.bundleLeafHashes(bundle, sizes.length), leaves)) return "self-test: leaves";
  if (addon.bundleLeafHashes(bundle, sizes.length + 1) !== null) return "self-test: count";
  const pairs = leaves.subarray(0, 5 * 64);
  if (!equal(addon.hashPairs(pairs), hashPairsJs(pairs))) return "self-test: pairs";
  const four = leaves.subarray(0, 4 * 32);
  if (!equal(addon.perfectRoot(four), perfectRootJs(four))) return "self-test: root";
  return null;
}

function equal(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
