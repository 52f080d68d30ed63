/**
 * The right edge of the tree being rebuilt, above level 0: for each tile level L ≥ 1, the
 * hashes of the tile (L, N) still being filled (at most 255 of them; a tile that fills is handed
 * on and its root moves up a level). This is all the verifier keeps in memory, whatever the log
 * size: at most 255 · 32 bytes per level.
 *
 * The tree of size s is made of these pending hashes, level by level from the top, followed by
 * the leaf hashes of the bundle s falls into. Each level's k pending hashes split into perfect
 * subtrees by the bits of k (highest first), and the tree head folds those subtree roots from
 * the right (RFC 9162 §2.1.2):
 *
 *     root = nodeHash(c_0, nodeHash(c_1, … nodeHash(c_{m-2}, c_{m-1})))
 */

import type { TileReader } from "../merkle/index.js";
import { EMPTY_ROOT, HASH_SIZE, nodeHash, perfectRoot, TILE_WIDTH } from "../merkle/index.js";

const TILE_BYTES = TILE_WIDTH * HASH_SIZE;

/** A tile that the edge filled: compare it with the stored one. */
export interface FullTile {
  level: number;
  index: number;
  bytes: Uint8Array;
}

interface Level {
  bytes: Uint8Array;
  /** Hashes in `bytes`. */
  count: number;
  /** The index of the tile being filled. */
  index: number;
}

export class RightEdge {
  /** levels[L - 1] is tile level L. */
  readonly #levels: Level[] = [];

  /**
   * The edge at `position` (a multiple of 256), read from stored tiles: the first
   * floor(position / 256^L) mod 256 hashes of tile (L, floor(position / 256^(L+1))) at each
   * level. The bytes are not trusted: the caller checks the root they give against a signed one.
   * @returns the edge, or the first tile that is too short to give it
   */
  static async load(
    position: number,
    read: TileReader,
  ): Promise<RightEdge | { level: number; index: number; need: number; have: number }> {
    const edge = new RightEdge();
    for (let level = 1; TILE_WIDTH ** level <= position; level++) {
      const nodes = Math.floor(position / TILE_WIDTH ** level);
      const index = Math.floor(nodes / TILE_WIDTH);
      const count = nodes % TILE_WIDTH;
      const l = edge.#level(level);
      l.index = index;
      if (count === 0) continue;
      const stored = await read(level, index);
      if (stored.length < count * HASH_SIZE) {
        return { level, index, need: count, have: Math.floor(stored.length / HASH_SIZE) };
      }
      l.bytes.set(stored.subarray(0, count * HASH_SIZE));
      l.count = count;
    }
    return edge;
  }

  #level(level: number): Level {
    while (this.#levels.length < level) {
      this.#levels.push({ bytes: new Uint8Array(TILE_BYTES), count: 0, index: 0 });
    }
    return this.#levels[level - 1] as Level;
  }

  /**
   * Appends the root of a full tile of level `level - 1` (for level 1: of a full bundle).
   * @returns the tiles this filled, lowest level first
   */
  push(level: number, hash: Uint8Array): FullTile[] {
    const filled: FullTile[] = [];
    let h = hash;
    for (let L = level; ; L++) {
      const l = this.#level(L);
      l.bytes.set(h, l.count * HASH_SIZE);
      if (++l.count < TILE_WIDTH) break;
      const bytes = l.bytes;
      filled.push({ level: L, index: l.index, bytes });
      h = perfectRoot(bytes);
      l.bytes = new Uint8Array(TILE_BYTES);
      l.count = 0;
      l.index++;
    }
    return filled;
  }

  /** The tiles being filled (partial tiles), lowest level first. */
  partials(): FullTile[] {
    return this.#levels.flatMap((l, i) =>
      l.count === 0
        ? []
        : [{ level: i + 1, index: l.index, bytes: l.bytes.subarray(0, l.count * HASH_SIZE) }],
    );
  }

  /**
   * The tree head of the edge followed by `leaves` (the first leaf hashes of the next bundle,
   * concatenated; fewer than 256).
   */
  root(leaves: Uint8Array): Uint8Array {
    const subtrees: Uint8Array[] = [];
    for (let i = this.#levels.length - 1; i >= -1; i--) {
      const bytes = i < 0 ? leaves : (this.#levels[i] as Level).bytes;
      const count = i < 0 ? leaves.length / HASH_SIZE : (this.#levels[i] as Level).count;
      let off = 0;
      for (let bit = TILE_WIDTH / 2; bit >= 1; bit /= 2) {
        if ((count & bit) === 0) continue;
        subtrees.push(perfectRoot(bytes.subarray(off * HASH_SIZE, (off + bit) * HASH_SIZE)));
        off += bit;
      }
    }
    let r = subtrees.pop();
    if (r === undefined) return EMPTY_ROOT.slice();
    for (let s = subtrees.pop(); s !== undefined; s = subtrees.pop()) r = nodeHash(s, r);
    return r;
  }
}
