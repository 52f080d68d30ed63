/**
 * Growing the hash tiles as leaves are appended (C2SP tlog-tiles, height 8).
 *
 * Each leaf hash is appended to level-0 tile floor(size / 256). When a tile of level L reaches
 * 256 hashes, its root (the perfect tree of the 256) is appended to tile (L+1, index div 256),
 * which may fill in turn. Partial tiles are never hashed into the level above.
 */

import { hashPairs } from "./batch.js";
import { HASH_SIZE } from "./hash.js";
import { TILE_HEIGHT, TILE_WIDTH } from "./layout.js";
import { requireSafeNonNegative } from "./math.js";
import { type TileReader, tileCorrupt } from "./tiles.js";

/** The new bytes of one hash tile. */
export interface TileUpdate {
  level: number;
  index: number;
  /** n·32 bytes: the tile's n hashes after the append (n = 256 for a tile that is now full). */
  bytes: Uint8Array;
}

const TILE_BYTES = TILE_WIDTH * HASH_SIZE;

/** The hashes as one run of bytes, after checking that each is 32 bytes. */
function joinHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new RangeError(`leaf hash ${i} is not ${HASH_SIZE} bytes`);
    }
    out.set(h, i * HASH_SIZE);
  }
  return out;
}

/**
 * Every hash tile that changes when `leafHashes` are appended to a tree of `size` leaves, with
 * its new bytes.
 *
 * Only the right-edge tile of each level can already hold hashes; it is read through `read`
 * (only when the tree says it is not empty) and must hold exactly the hashes the size implies.
 * Each level is built as one run of bytes, and the roots of all the tiles it fills are computed
 * together, eight rounds of `hashPairs` over the full tiles (one batch call per tree level, so
 * a native hashing backend sees thousands of pairs per call).
 * @param size the tree size before the append
 * @param leafHashes the new leaves' hashes in order: 32-byte arrays, or one array of n·32 bytes
 *   holding n hashes back to back
 * @param read reads the stored tiles of the tree of `size` leaves (a missing tile reads as empty)
 * @returns the changed tiles keyed `${level}/${index}`, in no promised order; empty when there
 *   are no new hashes. The bytes are fresh and share no memory with the inputs.
 * @throws RangeError (rejects) on an unsafe size, a hash that is not 32 bytes (or concatenated
 *   hashes whose length is not a multiple of 32), or a new size above 2^53-1; LogsealError
 *   `E_STORE_CORRUPT` with details `{level, index}` when a stored right-edge tile does not hold
 *   exactly the hashes `size` implies
 */
export async function appendToTiles(
  size: number,
  leafHashes: readonly Uint8Array[] | Uint8Array,
  read: TileReader,
): Promise<Map<string, TileUpdate>> {
  requireSafeNonNegative("size", size);
  const joined = leafHashes instanceof Uint8Array;
  const count = joined ? leafHashes.length / HASH_SIZE : leafHashes.length;
  if (!Number.isSafeInteger(size + count)) {
    throw new RangeError(`appending ${count} leaves to ${size} exceeds 2^53-1`);
  }
  if (joined && !Number.isInteger(count)) {
    throw new RangeError(`leaf hashes of ${leafHashes.length} bytes are not ${HASH_SIZE} each`);
  }
  let pending = joined ? leafHashes : joinHashes(leafHashes);

  const out = new Map<string, TileUpdate>();
  for (let level = 0; pending.length > 0; level++) {
    // Complete nodes at tree level 8·level before the append; 256^level is a power of two, so
    // the division is exact.
    const before = Math.floor(size / TILE_WIDTH ** level);
    const first = Math.floor(before / TILE_WIDTH);
    const width = before % TILE_WIDTH;
    // The level's hashes from the start of tile `first`: the stored ones, then the new ones.
    let run = pending;
    if (width > 0) {
      const stored = await read(level, first);
      if (!(stored instanceof Uint8Array) || stored.length !== width * HASH_SIZE) {
        const got = stored instanceof Uint8Array ? `${stored.length} bytes` : "not bytes";
        throw tileCorrupt(level, first, `${got}, tree size ${size} needs ${width} hashes`);
      }
      run = new Uint8Array(stored.length + pending.length);
      run.set(stored);
      run.set(pending, stored.length);
    }
    const full = Math.floor(run.length / TILE_BYTES);
    for (let t = 0; t * TILE_BYTES < run.length; t++) {
      const index = first + t;
      const bytes = run.slice(t * TILE_BYTES, Math.min((t + 1) * TILE_BYTES, run.length));
      out.set(`${level}/${index}`, { level, index, bytes });
    }
    // The roots of the full tiles, in order: pairs never straddle two tiles, since each tile
    // starts at a multiple of 256 hashes.
    let roots = run.subarray(0, full * TILE_BYTES);
    for (let r = 0; r < TILE_HEIGHT && roots.length > 0; r++) roots = hashPairs(roots);
    pending = roots;
  }
  return out;
}
