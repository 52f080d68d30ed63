/**
 * Loading logseal's native addons (native/: hashing, AES-256-GCM): each is optional, and one
 * that is missing, does not load, or fails its self-test against the reference code is never
 * used. Shared by src/merkle/batch-native.ts and src/store/aead.ts.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The outcome of {@link loadAddon}. */
export interface AddonLoad<T> {
  /** The addon, or null when it is not built or failed to load or to self-test. */
  addon: T | null;
  /** The addon file found, or null when none is built. */
  path: string | null;
  /** Why a built addon is not used, or null. */
  error: string | null;
}

/**
 * Where an addon built at `file` (relative to the package root) may be: this module runs as
 * `src/*.ts` (tsx, vitest) or as `dist/src/*.js` (after tsc), both under the package root.
 */
export function addonPaths(file: string): readonly string[] {
  return [
    fileURLToPath(new URL(`../${file}`, import.meta.url)),
    fileURLToPath(new URL(`../../${file}`, import.meta.url)),
  ];
}

/** Loads the first addon of `paths` that exists and runs `selfTest` on it. Never throws. */
export function loadAddon<T>(
  paths: readonly string[],
  selfTest: (addon: T) => string | null,
): AddonLoad<T> {
  const path = paths.find((p) => existsSync(p)) ?? null;
  if (path === null) return { addon: null, path, error: null };
  let addon: T;
  try {
    addon = createRequire(import.meta.url)(path) as T;
  } catch (e) {
    return { addon: null, path, error: `cannot load: ${(e as Error).message}` };
  }
  try {
    const error = selfTest(addon);
    return { addon: error === null ? addon : null, path, error };
  } catch (e) {
    return { addon: null, path, error: `self-test threw: ${(e as Error).message}` };
  }
}
