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
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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

/**
 * The external memory (LevelDB's values, as Buffers) past which a read that releases memory
 * asks V8 for a collection. (measured, the real `logseal tui` on 10M events, load 6-11) V8
 * collects external memory by itself only when it has grown 64 MB since the last collection;
 * the verify's buffers are promoted while they wait in the read-ahead, so they are freed only
 * then: `arrayBuffers` swung between 12 and 83 MB, and glibc kept the high-water mark
 * resident (anonymous memory 150-160 MB during the verify). Collecting past 24 MB held
 * `arrayBuffers` under about 30 MB and the anonymous memory at 110-120 MB, at the same verify
 * time (28.8 s against 27-30 s); past 16 MB, checked every 100 ms with a full collection each
 * time (not concurrent), the verify took 106 s. verify.ts checks every 8,192 entries read.
 */
const COLLECT_PAST = 24 << 20;

type Collect = (options: { type: "major"; execution: "async" }) => void;
let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      // The gc extension is installed in contexts created after the flag is set, so a new
      // context hands out the function without `--expose-gc` on the command line.
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as unknown;
      collect = typeof gc === "function" ? (gc as Collect) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * Starts a major collection, concurrent with this thread (`execution: "async"`), when the
 * Buffers' memory is past {@link COLLECT_PAST}. Returns whether it asked for one.
 */
export function collectBuffers(): boolean {
  if (process.memoryUsage().arrayBuffers < COLLECT_PAST) return false;
  const gc = collector();
  if (gc === null) return false;
  gc({ type: "major", execution: "async" });
  return true;
}
