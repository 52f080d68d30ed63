/**
 * Loading the native hashing addon (`native/hash.c`, a Node-API module built at install time
 * by `native/build.mjs`). Missing or broken, it is simply not used: `batch.ts` falls back to
 * the `node:crypto` backend.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
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
export interface NativeLoad {
  /** The addon, or null when it is not built or failed to load or to self-test. */
  addon: NativeHashing | null;
  /** The addon file found, or null when none is built. */
  path: string | null;
  /** Why a built addon is not used, or null. */
  error: string | null;
}

const ADDON = "native/build/Release/logseal_hash.node";

/**
 * Where the addon may be: this module runs as `src/merkle/*.ts` (tsx, vitest) or as
 * `dist/src/merkle/*.js` (after tsc), both under the package root that holds `native/`.
 */
export const nativeAddonPaths: readonly string[] = [
  fileURLToPath(new URL(`../../${ADDON}`, import.meta.url)),
  fileURLToPath(new URL(`../../../${ADDON}`, import.meta.url)),
];

/**
 * Loads the addon and checks it against the reference backend on a few known inputs (a leaf
 * of each block layout, an odd pair count, a 4-leaf root), so that a miscompiled addon is
 * never used. Never throws.
 */
export function loadNativeHashing(): NativeLoad {
  const path = nativeAddonPaths.find((p) => existsSync(p)) ?? null;
  if (path === null) return { addon: null, path, error: null };
  let addon: NativeHashing;
  try {
    addon = createRequire(import.meta.url)(path) as NativeHashing;
  } catch (e) {
    return { addon: null, path, error: `cannot load: ${(e as Error).message}` };
  }
  try {
    const error = selfTest(addon);
    return error === null ? { addon, path, error } : { addon: null, path, error };
  } catch (e) {
    return { addon: null, path, error: `self-test threw: ${(e as Error).message}` };
  }
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
