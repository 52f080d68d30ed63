/**
 * Reading events back from entry bundles for the indexer and the queries: a bundle (256
 * entries) is read once for all the entries wanted from it, and only the wanted leaves are
 * decoded.
 */
import { LogsealError } from "../errors.js";
import { decodeStoredLeaf, type Event } from "../event/index.js";
import { parseEntryBundle, TILE_WIDTH } from "../merkle/index.js";
import { BUNDLE_RANGE, bundleKey, parseBundleKey } from "../store/layout.js";
import type { LevelStore } from "../store/level-store.js";

/** An entry as the indexer and the queries see it. */
export interface IndexedEntry {
  index: number;
  event: Event;
  /** Its leaf, as stored (canonical: `event` was decoded from it). */
  leaf?: Uint8Array;
}

function leavesOf(bundle: number, bytes: Uint8Array | undefined): Uint8Array[] {
  // No expected count: a concurrent append may have grown the last bundle since the size was
  // read. Entries beyond the size asked for are never used.
  const leaves = bytes === undefined ? null : parseEntryBundle(bytes);
  if (leaves === null) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      `entry bundle ${bundle} is missing or damaged: run 'logseal verify'`,
      { details: { bundle } },
    );
  }
  return leaves;
}

function decodeAt(leaves: Uint8Array[], bundle: number, index: number): Event {
  const leaf = leaves[index % TILE_WIDTH];
  if (leaf === undefined) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      `entry bundle ${bundle} lacks entry ${index}: run 'logseal verify'`,
      { details: { bundle, index } },
    );
  }
  return decodeStoredLeaf(index, leaf);
}

/** Bundles read by one getMany: bounds the memory a large page holds at once. */
const BUNDLES_PER_READ = 256;

/** The events at these entry indexes (any order; each bundle read once). */
export async function readEvents(
  store: LevelStore,
  indexes: readonly number[],
): Promise<Map<number, Event>> {
  const byBundle = new Map<number, number[]>();
  for (const i of indexes) {
    const b = Math.floor(i / TILE_WIDTH);
    const list = byBundle.get(b);
    if (list === undefined) byBundle.set(b, [i]);
    else list.push(i);
  }
  const bundles = [...byBundle.keys()];
  const out = new Map<number, Event>();
  for (let k = 0; k < bundles.length; k += BUNDLES_PER_READ) {
    const some = bundles.slice(k, k + BUNDLES_PER_READ);
    const values = await store.getMany(some.map(bundleKey));
    some.forEach((b, j) => {
      const leaves = leavesOf(b, values[j]);
      for (const i of byBundle.get(b) as number[]) out.set(i, decodeAt(leaves, b, i));
    });
  }
  return out;
}

/** Entries `from` … `to - 1`, in order, read bundle by bundle with one range iterator. */
export async function* scanEntries(
  store: LevelStore,
  from: number,
  to: number,
): AsyncGenerator<IndexedEntry> {
  if (to <= from) return;
  const first = Math.floor(from / TILE_WIDTH);
  const last = Math.floor((to - 1) / TILE_WIDTH);
  let expect = first;
  for await (const [key, value] of store.iterate({
    gte: bundleKey(first),
    lt: last + 1 < Number.MAX_SAFE_INTEGER ? bundleKey(last + 1) : BUNDLE_RANGE.lt,
  })) {
    const b = parseBundleKey(key);
    if (b !== expect) break;
    const leaves = leavesOf(b, value);
    const lo = Math.max(from, b * TILE_WIDTH);
    const hi = Math.min(to, (b + 1) * TILE_WIDTH);
    for (let i = lo; i < hi; i++) {
      yield { index: i, event: decodeAt(leaves, b, i), leaf: leaves[i % TILE_WIDTH] };
    }
    expect++;
    if (expect > last) return;
  }
  throw new LogsealError(
    "E_STORE_CORRUPT",
    `entry bundle ${expect} is missing: run 'logseal verify'`,
    {
      details: { bundle: expect },
    },
  );
}
