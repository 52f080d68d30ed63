/**
 * The postings of one field gathered while a segment is indexed: values are the builder's
 * dictionary ids ({@link Dict}), each distinct one gets a local id for the segment, and each
 * posting is three numbers in typed arrays, grouped by value only when the segment's records
 * are written (a counting sort, which keeps each value's postings in entry order).
 *
 * (measured) A JavaScript array per value, grown posting by posting, cost the indexer a third of
 * its time and most of its garbage in bench/lineage.ts; these arrays are reused from segment
 * to segment. A `Map<string, number>` per field and segment for the local ids was 8% of the
 * indexer's time (self, 400,000 pipeline events): the stamps below replace it.
 */
import type { ByteWriter } from "./blocks.js";

export class FieldPostings {
  /** The dictionary id of each local value, in order of first posting. */
  readonly gids: number[] = [];
  /** `local[g]` is dictionary id g's local id when `stamp[g]` is the current segment's serial. */
  #local = new Int32Array(1024);
  #stamp = new Float64Array(1024);
  #serial = 0;
  vid = new Int32Array(4096);
  index = new Float64Array(4096);
  ts = new Float64Array(4096);
  n = 0;
  /** After {@link group}: value v's postings are order[start[v] .. start[v + 1]). */
  start = new Int32Array(0);
  order = new Int32Array(0);

  reset(): void {
    this.#serial++;
    this.gids.length = 0;
    this.n = 0;
  }

  add(gid: number, index: number, ts: number): void {
    if (gid >= this.#local.length) this.#growLocal(gid);
    let id: number;
    if (this.#stamp[gid] === this.#serial) id = this.#local[gid] as number;
    else {
      id = this.gids.length;
      this.gids.push(gid);
      this.#stamp[gid] = this.#serial;
      this.#local[gid] = id;
    }
    const n = this.n;
    if (n === this.vid.length) this.#grow();
    this.vid[n] = id;
    this.index[n] = index;
    this.ts[n] = ts;
    this.n = n + 1;
  }

  #growLocal(gid: number): void {
    let size = this.#local.length;
    while (size <= gid) size *= 2;
    const local = new Int32Array(size);
    local.set(this.#local);
    const stamp = new Float64Array(size);
    stamp.set(this.#stamp);
    this.#local = local;
    this.#stamp = stamp;
  }

  #grow(): void {
    const size = this.vid.length * 2;
    const vid = new Int32Array(size);
    vid.set(this.vid);
    const index = new Float64Array(size);
    index.set(this.index);
    const ts = new Float64Array(size);
    ts.set(this.ts);
    this.vid = vid;
    this.index = index;
    this.ts = ts;
  }

  /** Groups the postings by value (see `start` and `order`). */
  group(): void {
    const v = this.gids.length;
    const n = this.n;
    const start = new Int32Array(v + 1);
    const vid = this.vid;
    for (let k = 0; k < n; k++) {
      const j = (vid[k] as number) + 1;
      start[j] = (start[j] as number) + 1;
    }
    for (let i = 0; i < v; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
    const fill = start.slice(0, v);
    const order = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const id = vid[k] as number;
      order[fill[id] as number] = k;
      fill[id] = (fill[id] as number) + 1;
    }
    this.start = start;
    this.order = order;
  }

  /** Postings of local value `v` (after {@link group}). */
  count(v: number): number {
    return (this.start[v + 1] as number) - (this.start[v] as number);
  }

  /**
   * Writes local value `v`'s postings of segment `seg` (formats/lineage.md, "Values").
   * @returns the bytes written
   */
  write(w: ByteWriter, seg: number, v: number): number {
    // The caller reserved 16 bytes a posting (two varints of at most 8 bytes): written in place.
    const b = w.bytes;
    const at = w.pos;
    let p = at;
    let prev = seg - 1;
    let prevTs = 0;
    const order = this.order;
    const indexes = this.index;
    const tss = this.ts;
    const end = this.start[v + 1] as number;
    for (let k = this.start[v] as number; k < end; k++) {
      const o = order[k] as number;
      const index = indexes[o] as number;
      const ts = tss[o] as number;
      let x = index - prev;
      while (x >= 128) {
        b[p++] = (x & 127) | 128;
        x = Math.floor(x / 128);
      }
      b[p++] = x;
      const d = ts - prevTs;
      x = d >= 0 ? 2 * d : -2 * d - 1;
      while (x >= 128) {
        b[p++] = (x % 128) + 128;
        x = Math.floor(x / 128);
      }
      b[p++] = x;
      prev = index;
      prevTs = ts;
    }
    w.pos = p;
    return p - at;
  }
}
