/**
 * Reading entries while appends run. The last entry bundle grows with every append, so a reader
 * that sampled the tree size before reading the bundle may get a longer bundle than that size
 * implies; its first entries never change (formats/tiles.md). These readers take the prefix
 * they need and ignore the rest, so they need no lock against the writer.
 */
import { LogsealError } from "../errors.js";
import { decodeStoredLeaf, type Event } from "../event/index.js";
import { TILE_WIDTH } from "../merkle/index.js";
import type { LogReader } from "../store/reader.js";

/** An entry read back: its index, exact leaf bytes and decoded event. */
export interface ReadEntry {
  index: number;
  leaf: Uint8Array;
  event: Event;
}

/** The first `count` entries of a stored bundle, or null when it is shorter. */
export function bundlePrefix(bundle: Uint8Array, count: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 2 > bundle.length) return null;
    const len = ((bundle[offset] as number) << 8) | (bundle[offset + 1] as number);
    if (offset + 2 + len > bundle.length) return null;
    out.push(bundle.subarray(offset + 2, offset + 2 + len));
    offset += 2 + len;
  }
  return out;
}

/**
 * Reads the leaves of entries [from, to), bundle by bundle; `to` must not exceed the committed
 * size.
 * @throws LogsealError E_STORE_CORRUPT (a bundle missing or too short), E_IO
 */
export async function readLeaves(
  store: LogReader,
  from: number,
  to: number,
): Promise<Array<{ index: number; leaf: Uint8Array }>> {
  const out: Array<{ index: number; leaf: Uint8Array }> = [];
  for (let index = from; index < to; ) {
    const n = Math.floor(index / TILE_WIDTH);
    const need = Math.min(TILE_WIDTH, to - n * TILE_WIDTH);
    const bundle = await store.readBundle(n);
    const leaves = bundle === undefined ? null : bundlePrefix(bundle, need);
    if (leaves === null) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry bundle ${n} is missing or damaged: run 'logseal verify'`,
        { details: { bundle: n } },
      );
    }
    for (; index < n * TILE_WIDTH + need; index++) {
      out.push({ index, leaf: leaves[index - n * TILE_WIDTH] as Uint8Array });
    }
  }
  return out;
}

/**
 * Decodes a leaf read from the store.
 * @throws LogsealError E_STORE_CORRUPT when it is not a canonical event
 */
export function decodeEntry(index: number, leaf: Uint8Array): ReadEntry {
  return { index, leaf, event: decodeStoredLeaf(index, leaf) };
}

/** Reads and decodes entries [from, to). */
export async function readEntries(
  store: LogReader,
  from: number,
  to: number,
): Promise<ReadEntry[]> {
  return (await readLeaves(store, from, to)).map((l) => decodeEntry(l.index, l.leaf));
}
