/**
 * Reading entry bundles and level-0 tiles in chunks of consecutive bundles, ahead of the
 * hashing. A reader that can iterate ranges (the LevelDB store: one iterator, many values per
 * native call) is read that way; any other {@link LogReader} is read with a window of parallel
 * `readBundle` / `readTile` calls.
 */
import type { LogReader } from "../store/reader.js";

/** One stored value of a range read. */
export interface Indexed {
  index: number;
  bytes: Uint8Array;
}

/**
 * Range reads a reader may offer (`LevelStore` does): the stored entry bundles and hash tiles
 * of indexes [from, to), ascending, skipping those not stored.
 */
export interface RangeReads {
  bundles(from: number, to: number): AsyncIterable<Indexed>;
  tiles(level: number, from: number, to: number): AsyncIterable<Indexed>;
}

function hasRangeReads(r: LogReader): r is LogReader & RangeReads {
  const x = r as Partial<RangeReads>;
  return typeof x.bundles === "function" && typeof x.tiles === "function";
}

/** Bundles [first, first + bundles.length) and their stored level-0 tiles. */
export interface Chunk {
  first: number;
  bundles: Array<Uint8Array | undefined>;
  tiles: Uint8Array[];
}

/** Calls `read(i)` for i in [from, to), at most `window` at a time, yielding in order. */
async function* windowed(
  from: number,
  to: number,
  read: (i: number) => Promise<Uint8Array | undefined>,
  window = 16,
): AsyncGenerator<Indexed> {
  const queue: Array<Promise<Uint8Array | undefined>> = [];
  let next = from;
  const more = () => {
    const p = read(next++);
    p.catch(() => {}); // awaited below; this only keeps an early one from being unhandled
    queue.push(p);
  };
  while (next < to && queue.length < window) more();
  for (let i = from; i < to; i++) {
    const bytes = await (queue.shift() as Promise<Uint8Array | undefined>);
    if (next < to) more();
    if (bytes !== undefined) yield { index: i, bytes };
  }
}

/** Fills `into[i - first]` from an ascending stream of indexed values, up to index `end`. */
class Cursor {
  readonly #it: AsyncIterator<Indexed>;
  #head: IteratorResult<Indexed> | undefined;

  constructor(source: AsyncIterable<Indexed>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async fill(first: number, end: number, into: Array<Uint8Array | undefined>): Promise<void> {
    for (;;) {
      this.#head ??= await this.#it.next();
      if (this.#head.done === true || this.#head.value.index >= end) return;
      const { index, bytes } = this.#head.value;
      if (index >= first) into[index - first] = bytes;
      this.#head = undefined;
    }
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The chunks of bundles [from, to), `per` bundles each, with their level-0 tiles.
 * @throws what the reader throws (E_IO, E_STORE_CORRUPT)
 */
export async function* readChunks(
  reader: LogReader,
  from: number,
  to: number,
  per: number,
): AsyncGenerator<Chunk> {
  const ranged = hasRangeReads(reader);
  const bundles = new Cursor(
    ranged ? reader.bundles(from, to) : windowed(from, to, (i) => reader.readBundle(i)),
  );
  const tiles = new Cursor(
    ranged ? reader.tiles(0, from, to) : windowed(from, to, (i) => reader.readTile(0, i)),
  );
  try {
    for (let first = from; first < to; first += per) {
      const end = Math.min(first + per, to);
      const chunk: Chunk = {
        first,
        bundles: new Array<Uint8Array | undefined>(end - first).fill(undefined),
        tiles: new Array<Uint8Array>(end - first).fill(EMPTY),
      };
      await Promise.all([
        bundles.fill(first, end, chunk.bundles),
        tiles.fill(first, end, chunk.tiles),
      ]);
      yield chunk;
    }
  } finally {
    await Promise.all([bundles.close(), tiles.close()]);
  }
}

/**
 * Keeps up to `depth` items of `source` requested ahead of the consumer, so that reading the
 * next chunks overlaps hashing the current one.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: Array<Promise<IteratorResult<T>>> = [];
  try {
    for (;;) {
      while (queue.length < depth) {
        const p = it.next();
        p.catch(() => {}); // awaited in turn below
        queue.push(p);
      }
      const r = await (queue.shift() as Promise<IteratorResult<T>>);
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
