/**
 * What the Events list walks: every entry, or the entries a filter keeps. A filtered view is
 * built in the background by the data source's scan (through the indexes when it can) and
 * grows as matches arrive; the list only ever asks for the positions it draws. Matches are
 * kept as entry indexes in a Uint32Array (4 bytes each) rather than as rows.
 */
import type { Filter } from "./filter.js";
import type { DataSource, Row } from "./source.js";

/** A growable sorted list of entry indexes. */
export class IndexList {
  #a = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.#a.length) {
      const b = new Uint32Array(this.#a.length * 2);
      b.set(this.#a);
      this.#a = b;
    }
    this.#a[this.length++] = v;
  }

  at(i: number): number {
    return this.#a[i] as number;
  }

  get array(): Uint32Array {
    return this.#a;
  }

  /** The position of the first value ≥ v. */
  lowerBound(v: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#a[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface View {
  readonly filter: Filter | undefined;
  /** Positions known now. */
  total(): number;
  /** The entry index at a position. */
  indexAt(pos: number): number;
  /** The position of the first entry at or after `index`. */
  posOf(index: number): number;
  /** Still scanning: `done` of `total` entries looked at. */
  progress(): { done: number; total: number } | undefined;
  /** A note on how the view is answered (indexes stale). */
  note(): string | undefined;
  error(): string | undefined;
  /** The log grew to `size`: take in the new entries. */
  grow(size: number): void;
  dispose(): void;
}

/** Every entry: position = index. */
export class AllView implements View {
  readonly filter = undefined;
  #size: number;
  constructor(size: number) {
    this.#size = size;
  }
  total(): number {
    return this.#size;
  }
  indexAt(pos: number): number {
    return pos;
  }
  posOf(index: number): number {
    return Math.min(index, this.#size);
  }
  progress(): undefined {
    return undefined;
  }
  note(): undefined {
    return undefined;
  }
  error(): undefined {
    return undefined;
  }
  grow(size: number): void {
    this.#size = size;
  }
  dispose(): void {}
}

/** The entries a filter keeps, found by the source's scan. */
export class FilterView implements View {
  readonly filter: Filter;
  readonly #source: DataSource;
  readonly #hits = new IndexList();
  readonly #abort = new AbortController();
  readonly #onChange: () => void;
  #scannedTo = 0;
  #progress: { done: number; total: number } | undefined = { done: 0, total: 0 };
  #note: string | undefined;
  #error: string | undefined;
  /** Scans run one after the other (the first, then each growth of the log). */
  #chain: Promise<void> = Promise.resolve();
  /** When the rows found last redrew the list. */
  #shown = 0;

  constructor(source: DataSource, filter: Filter, onChange: () => void) {
    this.#source = source;
    this.filter = filter;
    this.#onChange = onChange;
    this.#scan(0, source.size());
  }

  #scan(from: number, to: number): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#abort.signal.aborted || to <= from) return;
      try {
        const r = await this.#source.scan(this.filter, {
          from,
          to,
          signal: this.#abort.signal,
          onRows: (rows: Row[]) => {
            for (const row of rows) this.#hits.push(row.index);
            // A scan through every entry finds rows many times a second: each change is a
            // frame, so at most ten a second (the end of the scan always draws, below).
            const now = Date.now();
            if (now - this.#shown < 100) return;
            this.#shown = now;
            this.#onChange();
          },
          onProgress: (p) => {
            this.#progress = p;
          },
        });
        if (r.note !== undefined) this.#note = r.note;
        this.#scannedTo = to;
        this.#progress = undefined;
      } catch (e) {
        if (this.#abort.signal.aborted) return;
        this.#error = (e as Error).message;
        this.#progress = undefined;
      }
      this.#onChange();
    });
  }

  total(): number {
    return this.#hits.length;
  }
  indexAt(pos: number): number {
    return this.#hits.at(pos);
  }
  posOf(index: number): number {
    return this.#hits.lowerBound(index);
  }
  progress() {
    return this.#progress;
  }
  note() {
    return this.#note;
  }
  error() {
    return this.#error;
  }
  /** Resolves when the scans queued so far are done (tests and the benchmark). */
  settled(): Promise<void> {
    return this.#chain;
  }
  grow(size: number): void {
    const from = Math.max(this.#scannedTo, 0);
    this.#scannedTo = size;
    this.#scan(from, size);
  }
  dispose(): void {
    this.#abort.abort();
  }
}

/** The text a `/` search matches a row against. */
export function searchText(row: Row): string {
  const e = row.event;
  return [
    e.id ?? "",
    e.actor.id,
    e.actor.role ?? "",
    e.action,
    e.outcome,
    e.asset ?? "",
    ...(e.inputs ?? []),
    ...(e.outputs ?? []),
    ...(e.controls ?? []),
    e.details === undefined ? "" : JSON.stringify(e.details),
  ].join(" ");
}

/**
 * A regex search over a view, counted in the background: hits are entry indexes in order,
 * `done` says whether the count is final.
 */
export class Search {
  readonly pattern: RegExp;
  readonly hits = new IndexList();
  done = false;
  error: string | undefined;
  readonly #abort = new AbortController();

  constructor(source: DataSource, view: View, pattern: RegExp, onChange: () => void) {
    this.pattern = pattern;
    let last = 0;
    void source
      .scan(view.filter, {
        to: source.size(),
        signal: this.#abort.signal,
        onRows: (rows) => {
          for (const r of rows) if (pattern.test(searchText(r))) this.hits.push(r.index);
          const now = Date.now();
          if (now - last > 100) {
            last = now;
            onChange();
          }
        },
      })
      .then(
        () => {
          this.done = true;
          onChange();
        },
        (e: unknown) => {
          if (this.#abort.signal.aborted) return;
          this.error = (e as Error).message;
          this.done = true;
          onChange();
        },
      );
  }

  dispose(): void {
    this.#abort.abort();
  }
}
