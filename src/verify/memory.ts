/**
 * Giving back the memory that reading a whole store leaves resident, for a process that goes
 * on running after a verify (`logseal tui`). A CLI verify exits and needs none of this.
 *
 * What stays resident, and why (measured, 10M events, `logseal tui`'s verify screen):
 *  - LevelDB maps each open table file and keeps up to 64 open (its minimum table cache: a
 *    smaller `maxOpenFiles` is raised to 74, of which 10 are not tables). The pages read stay in
 *    the RSS while a table is open: 120-125 MB of ~2 MB tables, whatever the store's size.
 *  - glibc keeps the heap the bundles' buffers were freed from (holes between live blocks):
 *    65-70 MB of free memory in its arenas after the verify.
 * The native addon (native/hash.c `releaseMemory`) pages the store's tables out
 * (MADV_PAGEOUT: the kernel drops the clean pages now instead of under pressure; a table read
 * again is read again) and trims the heap (malloc_trim), on a thread of libuv's pool. Without
 * the addon, or off Linux and glibc, nothing is released.
 */
import { realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import { loadNativeHashing } from "../merkle/batch-native.js";
import { DB_DIR } from "../store/layout.js";

/** What one release did. */
export interface Released {
  /** Bytes of mapped table files advised out (mapped, not necessarily resident before). */
  pagedOut: number;
  /** Whether the heap gave memory back. */
  trimmed: boolean;
}

type ReleaseFn = (tablesUnder: string | undefined, trim: boolean) => Promise<Released>;

let release: ReleaseFn | null | undefined;

function releaser(): ReleaseFn | null {
  if (release === undefined) {
    const addon = loadNativeHashing().addon as { releaseMemory?: unknown } | null;
    // An addon built before releaseMemory existed has none: nothing to release with.
    release =
      addon !== null && typeof addon.releaseMemory === "function"
        ? (addon.releaseMemory as ReleaseFn).bind(addon)
        : null;
  }
  return release;
}

/** Whether this process can give memory back (the native addon with `releaseMemory`). */
export function canReleaseMemory(): boolean {
  return releaser() !== null;
}

/**
 * Pages out the mapped table files of the LevelDB store in `storeDir` (when given) and, with
 * `trim`, returns the heap's free pages to the system. Never throws: without the addon it
 * resolves with nothing released.
 */
export async function releaseMemory(options: {
  storeDir?: string;
  trim?: boolean;
}): Promise<Released> {
  const f = releaser();
  if (f === null) return { pagedOut: 0, trimmed: false };
  let tables: string | undefined;
  if (options.storeDir !== undefined) {
    // /proc/self/maps names files by their real path.
    tables = await realpath(join(options.storeDir, DB_DIR)).then(
      (p) => p + sep,
      () => undefined,
    );
  }
  try {
    return await f(tables, options.trim === true);
  } catch {
    return { pagedOut: 0, trimmed: false };
  }
}
