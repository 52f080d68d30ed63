/**
 * The Events screen's state outside React, so it lives while other screens are shown: the
 * view (all entries or a filter's), the list position, follow mode, marks and the search.
 */
import { isLogsealError, parseTime } from "../../src/index.js";
import { BLOCK_ROWS } from "../data/blocks.js";
import { parseFilter } from "../data/filter.js";
import type { DataSource } from "../data/source.js";
import { AllView, FilterView, IndexList, Search, type View } from "../data/view.js";
import {
  initialList,
  type ListAction,
  type ListState,
  listReducer,
  nextIn,
  rank,
} from "../list.js";

export class EventsModel {
  readonly source: DataSource;
  view: View;
  list: ListState;
  rows: number;
  readonly marks = new Set<number>();
  search: Search | undefined;
  #listeners = new Set<() => void>();
  #pending = new Set<number>();
  /** Set when `:` goto is waiting on reads. */
  busy: string | undefined;
  error: string | undefined;

  constructor(source: DataSource, rows: number) {
    this.source = source;
    this.rows = rows;
    this.view = new AllView(source.size());
    this.list = initialList(this.view.total(), rows, true);
  }

  subscribe(f: () => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  changed = (): void => {
    // A filter view grew: keep the list's total in step.
    if (this.view.total() !== this.list.total) {
      this.list = listReducer(this.list, { type: "total", total: this.view.total() }, this.rows);
    }
    for (const f of this.#listeners) f();
  };

  dispatch(a: ListAction): void {
    this.list = listReducer(this.list, a, this.rows);
    this.changed();
  }

  resize(rows: number): void {
    if (rows === this.rows) return;
    this.rows = rows;
    this.dispatch({ type: "resize" });
  }

  /** The log grew (live tail); `notify` false when the caller redraws anyway. */
  grow(size: number, notify = true): void {
    this.view.grow(size);
    this.list = listReducer(this.list, { type: "total", total: this.view.total() }, this.rows);
    if (notify) this.changed();
  }

  /** The selected entry's index, if any. */
  selectedIndex(): number | undefined {
    return this.list.total === 0 ? undefined : this.view.indexAt(this.list.selected);
  }

  /** Reads the rows of the window that are not in the source's cache yet. */
  load(): void {
    const { top } = this.list;
    const end = Math.min(top + this.rows, this.list.total);
    for (let pos = top; pos < end; pos++) {
      const index = this.view.indexAt(pos);
      if (this.source.peek(index) !== undefined) continue;
      const block = Math.floor(index / BLOCK_ROWS);
      if (this.#pending.has(block)) continue;
      this.#pending.add(block);
      this.source.rows(block * BLOCK_ROWS, BLOCK_ROWS).then(
        () => {
          this.#pending.delete(block);
          this.changed();
        },
        (e: unknown) => {
          this.#pending.delete(block);
          this.error = (e as Error).message;
          this.changed();
        },
      );
    }
  }

  /** Applies a filter line (empty clears it). @returns an error to show, or undefined */
  setFilter(text: string): string | undefined {
    let filter: ReturnType<typeof parseFilter>;
    try {
      filter = parseFilter(text);
    } catch (e) {
      return isLogsealError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    }
    const keep = this.selectedIndex();
    this.view.dispose();
    this.search?.dispose();
    this.search = undefined;
    this.view =
      filter === undefined
        ? new AllView(this.source.size())
        : new FilterView(this.source, filter, this.changed);
    const follow = filter === undefined ? true : this.list.follow;
    this.list = initialList(this.view.total(), this.rows, follow);
    if (filter === undefined && keep !== undefined && !follow) {
      this.list = listReducer(this.list, { type: "to", pos: keep }, this.rows);
    }
    this.changed();
    return undefined;
  }

  /** Starts a `/` search. @returns an error to show, or undefined */
  setSearch(text: string): string | undefined {
    this.search?.dispose();
    this.search = undefined;
    if (text === "") {
      this.changed();
      return undefined;
    }
    let re: RegExp;
    try {
      re = new RegExp(text, "i");
    } catch (e) {
      return `E_USAGE: not a regular expression: ${(e as Error).message}`;
    }
    this.search = new Search(this.source, this.view, re, () => {
      // Jump to the first hit at or after the selection once there is one.
      this.changed();
    });
    return undefined;
  }

  /** n / N: the next or previous hit. */
  hit(dir: 1 | -1): string | undefined {
    const s = this.search;
    if (s === undefined) return "no search: press / first";
    const at = this.selectedIndex() ?? 0;
    const next = nextIn(s.hits.array, s.hits.length, at, dir);
    if (next === undefined) return s.done ? `no hits for /${s.pattern.source}/` : "searching…";
    this.dispatch({ type: "to", pos: this.view.posOf(next) });
    return undefined;
  }

  /** "hit k of N" for the status line. */
  hitStatus(): string | undefined {
    const s = this.search;
    if (s === undefined) return undefined;
    const at = this.selectedIndex() ?? 0;
    const k = rank(s.hits.array, s.hits.length, at);
    const onHit = k > 0 && s.hits.at(k - 1) === at;
    const n = `${s.hits.length}${s.done ? "" : "+ (counting)"}`;
    return `/${s.pattern.source}/ ${onHit ? `hit ${k} of ${n}` : `${n} hits`}`;
  }

  toggleMark(): void {
    const i = this.selectedIndex();
    if (i === undefined) return;
    if (this.marks.has(i)) this.marks.delete(i);
    else this.marks.add(i);
    this.changed();
  }

  toMark(dir: 1 | -1): string | undefined {
    const sorted = new IndexList();
    for (const m of [...this.marks].sort((a, b) => a - b)) sorted.push(m);
    const next = nextIn(sorted.array, sorted.length, this.selectedIndex() ?? 0, dir);
    if (next === undefined) return "no marks: press m on an event";
    this.dispatch({ type: "to", pos: this.view.posOf(next) });
    return undefined;
  }

  /**
   * `:` goto: an index (`1234`), a percentage (`50%`) or a time (ISO 8601 or `-1h`), found by
   * binary search over the integration time `at`, which only grows along the log.
   */
  goto(text: string, now: number): string | undefined {
    const t = text.trim();
    if (/^\d+$/.test(t)) {
      const index = Number(t);
      if (index >= this.source.size())
        return `E_INDEX_RANGE: the log has ${this.source.size()} entries (0..${this.source.size() - 1})`;
      this.dispatch({ type: "to", pos: this.view.posOf(index) });
      return undefined;
    }
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
    if (pct !== null) {
      const p = Math.min(100, Number(pct[1]));
      this.dispatch({ type: "to", pos: Math.floor(((this.list.total - 1) * p) / 100) });
      return undefined;
    }
    let when: number;
    try {
      when = parseTime(t, now, "goto");
    } catch (e) {
      return `${isLogsealError(e) ? e.code : "E_USAGE"}: go to an index (1234), a percentage (50%) or a time (2026-11-26T09:00:00Z, -1h)`;
    }
    this.busy = `going to ${t}…`;
    this.changed();
    void this.#firstAt(when).then(
      (index) => {
        this.busy = undefined;
        this.dispatch({ type: "to", pos: this.view.posOf(index) });
      },
      (e: unknown) => {
        this.busy = undefined;
        this.error = (e as Error).message;
        this.changed();
      },
    );
    return undefined;
  }

  async #firstAt(when: number): Promise<number> {
    let lo = 0;
    let hi = this.source.size();
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const [r] = await this.source.rows(mid, 1);
      if (r === undefined || r.event.at >= when) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  dispose(): void {
    this.view.dispose();
    this.search?.dispose();
  }
}
