/**
 * The postings of one field gathered while a segment is indexed: each distinct value gets a
 * small id once, and each posting is three numbers in typed arrays, grouped by value only when
 * the segment's records are written (a counting sort, which keeps each value's postings in
 * entry order).
 *
 * (measured) A JavaScript array per value, grown posting by posting, cost the indexer a third of
 * its time and most of its garbage in bench/lineage.ts; these arrays are reused from segment
 * to segment.
 */
import type { ByteWriter } from "./blocks.js";

export class FieldPostings {
  readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  vid = new Int32Array(4096);
  index = new Float64Array(4096);
  ts = new Float64Array(4096);
  n = 0;
  /** After {@link group}: value v's postings are order[start[v] .. start[v + 1]). */
  start = new Int32Array(0);
  order = new Int32Array(0);

  reset(): void {
    this.ids.clear();
    this.values.length = 0;
    this.n = 0;
  }

  add(value: string, index: number, ts: number): void {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    const n = this.n;
    if (n === this.vid.length) this.#grow();
    this.vid[n] = id;
    this.index[n] = index;
    this.ts[n] = ts;
    this.n = n + 1;
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
    const v = this.values.length;
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

  /** Postings of value id `v` (after {@link group}): count, first and last positions. */
  count(v: number): number {
    return (this.start[v + 1] as number) - (this.start[v] as number);
  }
  firstPos(v: number): number {
    return this.order[this.start[v] as number] as number;
  }
  lastPos(v: number): number {
    return this.order[(this.start[v + 1] as number) - 1] as number;
  }

  /**
   * Writes value id `v`'s postings of segment `seg` (formats/lineage.md, "Values").
   * @returns the bytes written
   */
  write(w: ByteWriter, seg: number, v: number): number {
    const at = w.pos;
    let prev = seg - 1;
    let prevTs = 0;
    const order = this.order;
    for (let k = this.start[v] as number; k < (this.start[v + 1] as number); k++) {
      const p = order[k] as number;
      const index = this.index[p] as number;
      const ts = this.ts[p] as number;
      const d = ts - prevTs;
      w.varint(index - prev);
      w.varint(d >= 0 ? 2 * d : -2 * d - 1);
      prev = index;
      prevTs = ts;
    }
    return w.pos - at;
  }
}
