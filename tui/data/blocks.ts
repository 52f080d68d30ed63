/**
 * The rows both data sources keep: blocks of {@link BLOCK_ROWS} consecutive entries (one entry
 * bundle of the store, one tile width of the tiles layout), the most recently used
 * {@link CACHE_BLOCKS} of them. Lists draw from it synchronously (`peek`) and ask for the
 * blocks they miss (`rows`); a block read once is shared by every caller that asks for it
 * while it is being read.
 */
import { TILE_WIDTH } from "../../src/index.js";
import type { Row } from "./source.js";

/** Rows per block: an entry bundle holds 256 entries (C2SP tlog-tiles). */
export const BLOCK_ROWS = TILE_WIDTH;

/** Blocks kept: 64 × 256 = 16k rows, a few MB whatever the log size. */
export const CACHE_BLOCKS = 64;

/**
 * Reads block `n`'s first `want` rows (a block at the tail may hold fewer than 256).
 * It must return at least `want` rows, or throw.
 */
export type BlockReader = (n: number, want: number) => Promise<Row[]>;

export class RowBlocks {
  readonly #blocks = new Map<number, Row[]>();
  readonly #loading = new Map<number, Promise<Row[]>>();
  readonly #read: BlockReader;
  readonly #size: () => number;
  readonly #capacity: number;

  /**
   * @param read reads a block that is missing or shorter than the log now holds
   * @param size the entries known now (a block at the tail is read up to it)
   */
  constructor(read: BlockReader, size: () => number, capacity = CACHE_BLOCKS) {
    this.#read = read;
    this.#size = size;
    this.#capacity = capacity;
  }

  /** A row already read, or undefined. */
  peek(index: number): Row | undefined {
    return this.#blocks.get(Math.floor(index / BLOCK_ROWS))?.[index % BLOCK_ROWS];
  }

  /** Block `n` as kept (possibly partial), without reading. */
  get(n: number): Row[] | undefined {
    return this.#blocks.get(n);
  }

  /** Keeps `rows` as block `n` (most recently used), evicting the least recently used. */
  put(n: number, rows: Row[]): void {
    this.#blocks.delete(n);
    this.#blocks.set(n, rows);
    while (this.#blocks.size > this.#capacity) {
      this.#blocks.delete(this.#blocks.keys().next().value as number);
    }
  }

  /** Block `n`, read when it is missing or shorter than the log now holds. */
  async block(n: number): Promise<Row[]> {
    const want = Math.min(BLOCK_ROWS, this.#size() - n * BLOCK_ROWS);
    const cached = this.#blocks.get(n);
    if (cached !== undefined && cached.length >= want) {
      this.put(n, cached);
      return cached;
    }
    const pending = this.#loading.get(n);
    if (pending !== undefined) return pending;
    const p = this.#read(n, want).then((rows) => {
      this.put(n, rows);
      return rows;
    });
    this.#loading.set(n, p);
    try {
      return await p;
    } finally {
      this.#loading.delete(n);
    }
  }

  /** Rows `start` .. `start + count - 1`, up to the size known now. */
  async rows(start: number, count: number): Promise<Row[]> {
    const end = Math.min(start + count, this.#size());
    const out: Row[] = [];
    for (let n = Math.floor(start / BLOCK_ROWS); n * BLOCK_ROWS < end; n++) {
      for (const r of await this.block(n)) if (r.index >= start && r.index < end) out.push(r);
    }
    return out;
  }
}
