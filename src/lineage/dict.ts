/**
 * Values a builder has met, each with a small integer id, and what it knows of each: the
 * posting loop, the edge checks and the inventory work on these ids instead of strings.
 *
 * (measured) In a CPU profile of bench:lineage (400,000 pipeline events, logseal-index/2's
 * builder), string-keyed maps took a third of the indexer's time: `Map<to, Set<from>>` for the
 * edges alone 13% (self), the per-asset inventory records and their deltas another 20%.
 */
import { bucketOf } from "./keys.js";

export class Dict {
  readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  readonly bytes: Buffer[] = [];
  bucket = new Uint8Array(1024);
  /** 1 once the asset is known to have a stored record (before the builder's `from`, or its own). */
  known = new Uint8Array(1024);
  first = new Float64Array(1024);
  firstTs = new Float64Array(1024);
  /** Entry of the first successful erasure naming the asset, −1 when none. */
  erasedAt = new Float64Array(1024).fill(-1);
  /** Stamps: the last entry (index + 1) that named the value as an asset, … */
  event = new Float64Array(1024);
  /** … and the last batch that found it without a known record. */
  batch = new Float64Array(1024);

  get size(): number {
    return this.values.length;
  }

  id(value: string): number {
    const id = this.ids.get(value);
    return id === undefined ? this.#add(value) : id;
  }

  #add(value: string): number {
    const id = this.values.length;
    if (id === this.bucket.length) this.#grow();
    this.ids.set(value, id);
    this.values.push(value);
    this.bytes.push(Buffer.from(value, "utf8"));
    this.bucket[id] = bucketOf(value);
    return id;
  }

  #grow(): void {
    const n = this.bucket.length * 2;
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array, fill = 0) => {
      const b = new Float64Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.bucket = u8(this.bucket);
    this.known = u8(this.known);
    this.first = f64(this.first);
    this.firstTs = f64(this.firstTs);
    this.erasedAt = f64(this.erasedAt, -1);
    this.event = f64(this.event);
    this.batch = f64(this.batch);
  }
}

/**
 * The ids of the last two values one field looked up. Consecutive events repeat values (a
 * pipeline step's actor and action, the asset it wrote and the reads of it that follow), and
 * comparing two strings costs less than hashing a string not hashed before, as every value of
 * an event parsed from JSON is. (measured) A lookup of a fresh string in a 20,000-entry Map
 * took 3.6 times a lookup of one already hashed (Node 20.20, 1,000,000 lookups, load 8).
 */
export class Recent {
  readonly #dict: Dict;
  #v0: string | undefined;
  #i0 = -1;
  #v1: string | undefined;
  #i1 = -1;

  constructor(dict: Dict) {
    this.#dict = dict;
  }

  id(value: string): number {
    if (value === this.#v0) return this.#i0;
    if (value === this.#v1) {
      const i = this.#i1;
      this.#v1 = this.#v0;
      this.#i1 = this.#i0;
      this.#v0 = value;
      this.#i0 = i;
      return i;
    }
    const id = this.#dict.id(value);
    this.#v1 = this.#v0;
    this.#i1 = this.#i0;
    this.#v0 = value;
    this.#i0 = id;
    return id;
  }
}
