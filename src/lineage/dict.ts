/**
 * Values a builder has met, each with a small integer id, and what it knows of each: the
 * posting loop, the edge checks and the inventory work on these ids instead of strings.
 *
 * Values are looked up by their UTF-8 bytes, straight from the leaf that holds them
 * ({@link Dict.lookup}): an open-addressing table of FNV-1a hashes of the bytes, each id's bytes
 * kept in one arena to compare with. A value's string is built once, when it is first met.
 *
 * (measured) In a CPU profile of bench:lineage (400,000 pipeline events, logseal-index/2's
 * builder), string-keyed maps took a third of the indexer's time: `Map<to, Set<from>>` for the
 * edges alone 13% (self), the per-asset inventory records and their deltas another 20%. With
 * ids looked up by string (`Map<string, number>` on the strings the producer gave, a two-entry
 * cache of recent values in front), the lookups were still a fifth of the indexer's time
 * (logseal-index/3's first builder, 300,000 pipeline events, load 3.4): each fresh string is
 * flattened and hashed by V8, and the fields were first copied out of the event as it was
 * encoded (objects and arrays for every event, then collected as garbage). Hashing the bytes
 * in the leaf allocates nothing.
 */

import { BUCKETS } from "./keys.js";

/** FNV-1a (32-bit) offset basis and prime: {@link bucketOf} hashes the same bytes the same way. */
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Flags of a value, set when it is added: the builder's tests of action and outcome. */
export const IS_ERASE = 1; // "data.erase"
export const IS_SUCCESS = 2; // "success"
export const IS_DENIED = 4; // "denied"

export class Dict {
  readonly values: string[] = [];
  /** Each value's UTF-8 bytes (views into the arena: copied into posting records). */
  readonly bytes: Uint8Array[] = [];
  /** Slots: id + 1, 0 when empty; a power of two, at most half full. */
  #table = new Int32Array(4096);
  #hash = new Int32Array(1024);
  #off = new Int32Array(1024);
  #len = new Int32Array(1024);
  #arena = new Uint8Array(64 * 1024);
  #arenaPos = 0;
  bucket = new Uint8Array(1024);
  flags = new Uint8Array(1024);
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

  /** The id of the value whose UTF-8 bytes are `buf[pos, pos + len)`, added when new. */
  lookup(buf: Uint8Array, pos: number, len: number): number {
    let h = FNV_BASIS;
    const end = pos + len;
    for (let i = pos; i < end; i++) h = Math.imul(h ^ (buf[i] as number), FNV_PRIME);
    const table = this.#table;
    const mask = table.length - 1;
    const hashes = this.#hash;
    const lens = this.#len;
    const offs = this.#off;
    const arena = this.#arena;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const slot = table[s] as number;
      if (slot === 0) return this.#add(buf, pos, len, h, s);
      const id = slot - 1;
      if (hashes[id] !== h || lens[id] !== len) continue;
      let at = offs[id] as number;
      let i = pos;
      while (i < end && arena[at] === buf[i]) {
        at++;
        i++;
      }
      if (i === end) return id;
    }
  }

  /** The id of a value given as a string (the rare paths: erasures, `entry:` nodes). */
  id(value: string): number {
    const b = Buffer.from(value, "utf8");
    return this.lookup(b, 0, b.length);
  }

  #add(buf: Uint8Array, pos: number, len: number, h: number, slot: number): number {
    const id = this.values.length;
    if (id === this.bucket.length) this.#grow();
    if (this.#arenaPos + len > this.#arena.length) {
      // A new arena: the views handed out keep the old one.
      const next = new Uint8Array(Math.max(this.#arena.length * 2, len * 2));
      next.set(this.#arena.subarray(0, this.#arenaPos));
      this.#arena = next;
      for (let i = 0; i < id; i++) {
        const o = this.#off[i] as number;
        this.bytes[i] = next.subarray(o, o + (this.#len[i] as number));
      }
    }
    const off = this.#arenaPos;
    this.#arena.set(buf.subarray(pos, pos + len), off);
    this.#arenaPos += len;
    const bytes = this.#arena.subarray(off, off + len);
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, len).toString("utf8");
    this.values.push(value);
    this.bytes.push(bytes);
    this.#hash[id] = h;
    this.#off[id] = off;
    this.#len[id] = len;
    this.bucket[id] = (h >>> 0) % BUCKETS;
    this.flags[id] =
      value === "data.erase"
        ? IS_ERASE
        : value === "success"
          ? IS_SUCCESS
          : value === "denied"
            ? IS_DENIED
            : 0;
    this.#table[slot] = id + 1;
    if ((id + 1) * 2 > this.#table.length) this.#rehash();
    return id;
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.values.length; id++) {
      let s = (this.#hash[id] as number) & mask;
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = id + 1;
    }
    this.#table = table;
  }

  #grow(): void {
    const n = this.bucket.length * 2;
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array, fill = 0) => {
      const b = new Float64Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.#hash = i32(this.#hash);
    this.#off = i32(this.#off);
    this.#len = i32(this.#len);
    this.bucket = u8(this.bucket);
    this.flags = u8(this.flags);
    this.known = u8(this.known);
    this.first = f64(this.first);
    this.firstTs = f64(this.firstTs);
    this.erasedAt = f64(this.erasedAt, -1);
    this.event = f64(this.event);
    this.batch = f64(this.batch);
  }
}
