/**
 * Growing the hash tiles as leaves are appended (C2SP tlog-tiles, height 8).
 *
 * Each leaf hash is appended to level-0 tile floor(size / 256). When a tile of level L reaches
 * 256 hashes, its root (`perfectTreeHash` of the 256) is appended to tile (L+1, index div 256),
 * which may fill in turn. Partial tiles are never hashed into the level above.
 */

import { HASH_SIZE } from "./hash.js";
import { TILE_WIDTH } from "./layout.js";
import { requireSafeNonNegative } from "./math.js";
import { type TileReader, tileCorrupt } from "./tiles.js";
import { perfectTreeHash } from "./tree.js";

/** The new bytes of one hash tile. */
export interface TileUpdate {
  level: number;
  index: number;
  /** n·32 bytes: the tile's n hashes after the append (n = 256 for a tile that is now full). */
  bytes: Uint8Array;
}

function joinHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (let j = 0; j < hashes.length; j++) out.set(hashes[j] as Uint8Array, j * HASH_SIZE);
  return out;
}

/**
 * Every hash tile that changes when `leafHashes` are appended to a tree of `size` leaves, with
 * its new bytes.
 *
 * Only the right-edge tile of each level can already hold hashes; it is read through `read`
 * (only when the tree says it is not empty) and must hold exactly the hashes the size implies.
 * Each tile's bytes are built once, at the end, so a batch of thousands of leaves costs one
 * copy per tile, not one per leaf.
 * @param size the tree size before the append
 * @param leafHashes the new leaves' hashes, 32 bytes each, in order
 * @param read reads the stored tiles of the tree of `size` leaves (a missing tile reads as empty)
 * @returns the changed tiles keyed `${level}/${index}`, in no promised order; empty when
 *   `leafHashes` is empty. The bytes are fresh and share no memory with the inputs.
 * @throws RangeError (rejects) on an unsafe size, a hash that is not 32 bytes, or a new size
 *   above 2^53-1; LogsealError `E_STORE_CORRUPT` with details `{level, index}` when a stored
 *   right-edge tile does not hold exactly the hashes `size` implies
 */
export async function appendToTiles(
  size: number,
  leafHashes: readonly Uint8Array[],
  read: TileReader,
): Promise<Map<string, TileUpdate>> {
  requireSafeNonNegative("size", size);
  if (!Number.isSafeInteger(size + leafHashes.length)) {
    throw new RangeError(`appending ${leafHashes.length} leaves to ${size} exceeds 2^53-1`);
  }
  for (let i = 0; i < leafHashes.length; i++) {
    const h = leafHashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new RangeError(`leaf hash ${i} is not ${HASH_SIZE} bytes`);
    }
  }

  const out = new Map<string, TileUpdate>();
  let pending: readonly Uint8Array[] = leafHashes;
  for (let level = 0; pending.length > 0; level++) {
    // Complete nodes at tree level 8·level before the append; 256^level is a power of two, so
    // the division is exact.
    const before = Math.floor(size / TILE_WIDTH ** level);
    let index = Math.floor(before / TILE_WIDTH);
    const width = before % TILE_WIDTH;
    let hashes: Uint8Array[] = [];
    if (width > 0) {
      const stored = await read(level, index);
      if (!(stored instanceof Uint8Array) || stored.length !== width * HASH_SIZE) {
        const got = stored instanceof Uint8Array ? `${stored.length} bytes` : "not bytes";
        throw tileCorrupt(level, index, `${got}, tree size ${size} needs ${width} hashes`);
      }
      for (let j = 0; j < width; j++) {
        hashes.push(stored.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE));
      }
    }
    const next: Uint8Array[] = [];
    for (const h of pending) {
      hashes.push(h);
      if (hashes.length === TILE_WIDTH) {
        next.push(perfectTreeHash(hashes));
        out.set(`${level}/${index}`, { level, index, bytes: joinHashes(hashes) });
        index++;
        hashes = [];
      }
    }
    if (hashes.length > 0) {
      out.set(`${level}/${index}`, { level, index, bytes: joinHashes(hashes) });
    }
    pending = next;
  }
  return out;
}
