/**
 * Step "entries", the part that runs in parallel: a chunk of consecutive entry bundles is
 * parsed, its leaves hashed, each bundle's leaf hashes compared with the stored level-0 tile,
 * and the root of each full bundle computed (the level-1 hash the bundle contributes). The
 * same function runs in a worker thread or inline; the ordered combination is `engine.ts`.
 *
 * A bundle that is missing or damaged is a failure. Where its stored level-0 tile holds the
 * hashes the tree needs, those are used in its place so that the rest of the tree (and the
 * checkpoints after it) can still be checked; otherwise the bundle is `lost` and the tree
 * cannot be rebuilt past it.
 *
 * Bundles and tiles are attacker-controlled: nothing here throws on their bytes.
 */
import { isLogsealError } from "../errors.js";
import { decodeLeaf } from "../event/index.js";
import {
  bundleLeafHashes,
  HASH_SIZE,
  parseEntryBundle,
  perfectRoot,
  TILE_WIDTH,
} from "../merkle/index.js";
import { compareTile } from "./compare.js";
import type { Failure } from "./report.js";

/** The work of one chunk: bundles [first, first + bundles.length) of a tree of `size`. */
export interface ChunkJob {
  first: number;
  size: number;
  /** Stored bundles, `undefined` where none is stored. */
  bundles: Array<Uint8Array | undefined>;
  /** Stored level-0 tiles, empty where none is stored. */
  tiles: Uint8Array[];
  /** Bundle indexes whose leaf hashes the caller needs back (checkpoint sizes fall inside). */
  keep: readonly number[];
  /** Decode every leaf as an event of schema v1. */
  checkEvents: boolean;
  /** List at most this many failures; count the rest. */
  maxFailures: number;
}

/** What a chunk gives back, in bundle order. */
export interface ChunkResult {
  first: number;
  count: number;
  /** 32 bytes per bundle: the root of each full bundle (zeros for a partial or lost one). */
  roots: Uint8Array;
  /** The first bundle that cannot be rebuilt (missing or damaged, no usable tile), or -1. */
  lost: number;
  /** Leaf hashes of the bundles in `keep` (as used: rebuilt, or stored when substituted). */
  kept: Array<{ bundle: number; hashes: Uint8Array }>;
  failures: Failure[];
  moreFailures: number;
  /** Entries hashed. */
  entries: number;
  /** Level-0 tiles compared. */
  tiles: number;
}

/** The number of entries bundle `n` of a tree of `size` holds. */
export function bundleWidth(n: number, size: number): number {
  return Math.min(TILE_WIDTH, size - n * TILE_WIDTH);
}

/** Hashes one chunk. Never throws on stored bytes. */
export function hashChunk(job: ChunkJob): ChunkResult {
  const count = job.bundles.length;
  const roots = new Uint8Array(count * HASH_SIZE);
  const failures: Failure[] = [];
  let moreFailures = 0;
  const fail = (f: Failure) => {
    if (failures.length < job.maxFailures) failures.push(f);
    else moreFailures++;
  };
  const keep = new Set(job.keep);
  const kept: ChunkResult["kept"] = [];
  let lost = -1;
  let entries = 0;
  let tiles = 0;
  for (let k = 0; k < count; k++) {
    const n = job.first + k;
    const width = bundleWidth(n, job.size);
    const bytes = job.bundles[k];
    const stored = job.tiles[k] ?? new Uint8Array(0);
    let hashes = bytes === undefined ? null : bundleLeafHashes(bytes, width);
    if (hashes === null) {
      // The stored leaf hashes stand in for the damaged bundle, when there are enough of them.
      const usable = stored.length >= width * HASH_SIZE;
      fail(bundleFailure(n, width, bytes, usable));
      if (!usable) {
        lost = n;
        break;
      }
      hashes = stored.subarray(0, width * HASH_SIZE);
    } else {
      entries += width;
      tiles++;
      const f = compareTile(0, n, hashes, stored);
      if (f !== null) fail(f);
      if (job.checkEvents) checkEvents(bytes as Uint8Array, n, width, fail);
    }
    if (width === TILE_WIDTH) roots.set(perfectRoot(hashes), k * HASH_SIZE);
    if (keep.has(n)) kept.push({ bundle: n, hashes: hashes.slice() });
  }
  return { first: job.first, count, roots, lost, kept, failures, moreFailures, entries, tiles };
}

function bundleFailure(
  n: number,
  width: number,
  bytes: Uint8Array | undefined,
  usable: boolean,
): Failure {
  const entry = n * TILE_WIDTH;
  const range = `entries ${entry}..${entry + width - 1}`;
  const after = usable
    ? `; its stored leaf hashes (tile 0/${n}) stand in for it so the rest can be checked`
    : "; the tree cannot be rebuilt past it";
  if (bytes === undefined) {
    return {
      kind: "bundle",
      bundle: n,
      entry,
      reason: "missing",
      expected: width,
      message: `entry bundle ${n} (${range}) is missing${after}`,
    };
  }
  const entries = parseEntryBundle(bytes);
  if (entries === null) {
    return {
      kind: "bundle",
      bundle: n,
      entry,
      reason: "malformed",
      expected: width,
      message: `entry bundle ${n} (${range}, ${bytes.length} bytes) does not split into whole length-prefixed entries: it was cut or damaged${after}`,
    };
  }
  return {
    kind: "bundle",
    bundle: n,
    entry,
    reason: "count",
    expected: width,
    actual: entries.length,
    message: `entry bundle ${n} holds ${entries.length} entries, the tree size implies ${width} (${range})${entries.length > width ? ": the stored tree size may have been lowered" : ""}${after}`,
  };
}

function checkEvents(
  bytes: Uint8Array,
  n: number,
  width: number,
  fail: (f: Failure) => void,
): void {
  const leaves = parseEntryBundle(bytes, width) ?? [];
  for (let j = 0; j < leaves.length; j++) {
    const index = n * TILE_WIDTH + j;
    try {
      decodeLeaf(leaves[j] as Uint8Array);
    } catch (e) {
      fail({
        kind: "entry",
        index,
        message: `entry ${index}: ${isLogsealError(e) ? e.message : String(e)}`,
      });
    }
  }
}
