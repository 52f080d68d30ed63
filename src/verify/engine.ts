/**
 * Step "entries", the ordered part: chunk results (`chunk.ts`) are combined in bundle order into
 * the right edge of the tree (`edge.ts`). Each tile the edge fills is compared with the stored
 * tile; at each size where a root is expected (a stored checkpoint, the auditor's saved
 * checkpoint) the tree head is computed from the edge and handed over. Failures are added in
 * bundle order, so a changed entry is reported before the checkpoints it breaks.
 */
import { HASH_SIZE, TILE_WIDTH, type TileReader } from "../merkle/index.js";
import { bundleWidth, type ChunkResult } from "./chunk.js";
import { compareTile } from "./compare.js";
import type { RightEdge } from "./edge.js";
import type { Failure, FailureList } from "./report.js";

/** A size at which the rebuilt tree head is wanted. */
export interface ExpectedRoot {
  size: number;
  /** Receives the rebuilt root at `size`, or undefined when the rebuild stopped before it. */
  settle: (rebuilt: Uint8Array | undefined) => void;
}

export interface BuilderOptions {
  /** The tree size. */
  size: number;
  /** The first bundle to be applied; the edge holds the tree of `start · 256` entries. */
  start: number;
  edge: RightEdge;
  /** Ascending by size, each in [start · 256, size]. */
  expected: ExpectedRoot[];
  readTile: TileReader;
  failures: FailureList;
}

const NO_LEAVES = new Uint8Array(0);

function bundleOf(f: Failure): number {
  if (f.kind === "bundle") return f.bundle;
  if (f.kind === "tile") return f.index;
  if (f.kind === "entry") return Math.floor(f.index / TILE_WIDTH);
  return -1;
}

export class TreeBuilder {
  /** Hash tiles compared so far. */
  tiles = 0;
  /** Entries hashed so far. */
  entries = 0;
  /** True when a bundle could not be rebuilt: nothing after it is checked. */
  lost = false;
  readonly #o: BuilderOptions;
  #next = 0;
  #bundle: number;
  /** The leaf hashes of the last, partial bundle (for the final tree head). */
  #tail: Uint8Array = NO_LEAVES;
  readonly #keep = new Set<number>();

  constructor(options: BuilderOptions) {
    this.#o = options;
    this.#bundle = options.start;
    for (const e of options.expected) {
      if (e.size % TILE_WIDTH !== 0) this.#keep.add(Math.floor(e.size / TILE_WIDTH));
    }
    if (options.size % TILE_WIDTH !== 0) this.#keep.add(Math.floor(options.size / TILE_WIDTH));
    this.#settleUpTo(options.start * TILE_WIDTH, NO_LEAVES, true);
  }

  /** Bundles in [first, first + count) whose leaf hashes `apply` needs. */
  keep(first: number, count: number): number[] {
    const out: number[] = [];
    for (const b of this.#keep) if (b >= first && b < first + count) out.push(b);
    return out;
  }

  /**
   * Applies the next chunk (they must come in bundle order, without gaps).
   * @returns false when the rebuild stopped (a bundle was lost)
   */
  async apply(r: ChunkResult): Promise<boolean> {
    if (r.first !== this.#bundle) throw new RangeError(`chunk ${r.first} out of order`);
    const { size, edge, failures, readTile } = this.#o;
    const kept = new Map(r.kept.map((k) => [k.bundle, k.hashes]));
    let f = 0;
    this.entries += r.entries;
    this.tiles += r.tiles;
    for (let k = 0; k < r.count && !this.lost; k++) {
      const b = r.first + k;
      while (f < r.failures.length && bundleOf(r.failures[f] as Failure) <= b) {
        failures.add(r.failures[f++] as Failure);
      }
      if (b === r.lost) {
        this.lost = true;
        break;
      }
      const lo = b * TILE_WIDTH;
      const width = bundleWidth(b, size);
      const leaves = kept.get(b) ?? NO_LEAVES;
      // Sizes inside the bundle: the edge before this bundle, then its first leaves.
      this.#settleUpTo(lo + width, leaves, false, lo);
      if (width === TILE_WIDTH) {
        for (const t of edge.push(1, r.roots.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE))) {
          this.tiles++;
          const failure = compareTile(t.level, t.index, t.bytes, await readTile(t.level, t.index));
          if (failure !== null) failures.add(failure);
        }
        this.#settleUpTo(lo + width, NO_LEAVES, true);
      } else {
        this.#tail = leaves;
        this.#settleUpTo(lo + width, leaves, true, lo);
      }
      this.#bundle = b + 1;
    }
    for (; f < r.failures.length; f++) failures.add(r.failures[f] as Failure);
    failures.addAll([], r.moreFailures);
    return !this.lost;
  }

  /**
   * Compares the partial tiles of the edge, settles what was not reached, and returns the
   * rebuilt tree head of `size` (undefined when the rebuild stopped early).
   */
  async finish(): Promise<Uint8Array | undefined> {
    const { edge, failures, readTile, expected } = this.#o;
    if (this.lost) {
      for (; this.#next < expected.length; this.#next++) expected[this.#next]?.settle(undefined);
      return undefined;
    }
    for (const t of edge.partials()) {
      this.tiles++;
      const failure = compareTile(t.level, t.index, t.bytes, await readTile(t.level, t.index));
      if (failure !== null) failures.add(failure);
    }
    return edge.root(this.#tail);
  }

  /**
   * Settles the expected roots of size < `end` (≤ `end` when `inclusive`) from the edge and
   * the first leaves of the bundle starting at `lo`.
   */
  #settleUpTo(end: number, leaves: Uint8Array, inclusive: boolean, lo = end): void {
    const { expected, edge } = this.#o;
    for (;;) {
      const e = expected[this.#next];
      if (e === undefined || e.size > end || (e.size === end && !inclusive)) return;
      const n = e.size - lo;
      e.settle(edge.root(n === 0 ? NO_LEAVES : leaves.subarray(0, n * HASH_SIZE)));
      this.#next++;
    }
  }
}
