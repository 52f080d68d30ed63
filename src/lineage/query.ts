/**
 * Event queries over the field and time postings: filter by actor, action, asset, control and
 * outcome (all must hold) and a time window, in entry-index order, a page at a time.
 *
 * Algorithm. Each equality filter is a posting list: the value's groups in the records
 * `x/p/<field> NUL <bucket> NUL <seg>` of its bucket, in entry-index order, each listing its
 * entries of that segment with their `ts`. The lists are
 * ordered by their estimated density (postings per entry in the first records read after the
 * cursor; a list that ends there is exact) and intersected by leapfrogging: the sparsest list
 * proposes a candidate, each other list skips to its first posting at or after it, and a
 * posting beyond the candidate becomes the new candidate. A list is read a few records at a
 * time (4, doubling to 64); a skip past what was read starts a new range read at the target's
 * segment, so a selective list never drags a dense one through every segment. The time window is
 * checked on the `ts` the postings carry. A query with only a time window reads the hour records
 * of the window (`x/t/<hour> NUL <seg>`) and orders the hits by index; a query with no
 * filter at all reads the log in order.
 *
 * Pages and cursors. Results are in entry-index order and a cursor is the last index returned
 * (with the query's filters and resolved time window, so relative times do not move between
 * pages). Appends only add entries above every index already returned, so paging on while
 * the log grows gives every matching entry exactly once. Each page is bounded by the size the
 * indexes covered when it started.
 */
import { createHash } from "node:crypto";
import { utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { type Event, MAX_TIMESTAMP } from "../event/index.js";
import type { LevelStore } from "../store/level-store.js";
import { decodeGroup, decodePostings, type Posting } from "./blocks.js";
import { readEvents } from "./entries.js";
import {
  bucketOf,
  type Field,
  HOUR,
  pad16,
  postingEnd,
  postingPrefix,
  TIME_PREFIX,
  trailingIndex,
} from "./keys.js";
import { requireIndex } from "./status.js";
import { parseTime } from "./time.js";

export interface QueryOptions {
  actor?: string;
  action?: string;
  /** Events naming the asset as `asset`, an input or an output. */
  asset?: string;
  control?: string;
  outcome?: string;
  /** Events with `ts` at or after this (ms, or `now`, `-24h`, ISO 8601). */
  since?: number | string;
  /** Events with `ts` before this. */
  until?: number | string;
  /** At most this many events (default 100). */
  limit?: number;
  /** Continue after the page that returned this cursor. */
  cursor?: string;
  /** The current time for relative times (default `Date.now()`). */
  now?: number;
}

export interface QueryHit {
  index: number;
  event: Event;
}

export interface QueryPage {
  entries: QueryHit[];
  /** Pass it back to continue after these entries (also when more may be appended later). */
  cursor: string;
  /** True when more matching entries were found beyond this page. */
  more: boolean;
}

interface Resolved {
  filters: Array<[Field, string]>;
  since: number;
  /** Exclusive. */
  until: number;
  after: number;
  hash: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000_000;

const SYNTAX: Record<Field, { re: RegExp; what: string }> = {
  // Control characters never occur in stored values (schema v1), and NUL is the key separator.
  actor: { re: /^[^\p{Cc}]{1,256}$/u, what: "an actor id" },
  action: { re: /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/, what: "an action (dataset.read)" },
  asset: { re: /^[a-z][a-z0-9_]{0,31}:[^\p{Cc}]+$/u, what: "an asset reference (kind:name)" },
  control: { re: /^A\.[5-8]\.[1-9][0-9]?$/, what: "an Annex A control id (A.8.11)" },
  outcome: { re: /^(success|failure|denied)$/, what: "success, failure or denied" },
};

function filterHash(filters: Array<[Field, string]>): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("hex").slice(0, 16);
}

function encodeCursor(r: Resolved, last: number): string {
  const json = JSON.stringify({ v: 1, last, q: r.hash, since: r.since, until: r.until });
  return Buffer.from(json, "utf8").toString("base64url");
}

function badCursor(why: string): LogsealError {
  return new LogsealError("E_USAGE", why, { location: { field: "--cursor" } });
}

function resolve(options: QueryOptions): Resolved {
  const filters: Array<[Field, string]> = [];
  for (const field of ["actor", "action", "asset", "control", "outcome"] as const) {
    const v = options[field];
    if (v === undefined) continue;
    if (typeof v !== "string" || !SYNTAX[field].re.test(v)) {
      throw new LogsealError("E_USAGE", `${JSON.stringify(v)} is not ${SYNTAX[field].what}`, {
        location: { field: `--${field}` },
      });
    }
    filters.push([field, v]);
  }
  const hash = filterHash(filters);
  const now = options.now ?? Date.now();
  const time = (v: number | string | undefined, field: string, fallback: number) => {
    if (v === undefined) return fallback;
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) {
        throw new LogsealError("E_USAGE", `a time must be an integer of ms, got ${v}`, {
          location: { field },
        });
      }
      return Math.min(Math.max(v, 0), MAX_TIMESTAMP + 1);
    }
    return parseTime(v, now, field);
  };
  let since = time(options.since, "--since", 0);
  let until = time(options.until, "--until", MAX_TIMESTAMP + 1);
  let after = -1;
  if (options.cursor !== undefined) {
    let c: { v?: unknown; last?: unknown; q?: unknown; since?: unknown; until?: unknown };
    try {
      c = JSON.parse(Buffer.from(options.cursor, "base64url").toString("utf8"));
    } catch {
      throw badCursor("not a cursor printed by 'logseal query'");
    }
    if (
      c?.v !== 1 ||
      !Number.isSafeInteger(c.last) ||
      (c.last as number) < -1 ||
      typeof c.q !== "string" ||
      !Number.isSafeInteger(c.since) ||
      !Number.isSafeInteger(c.until)
    ) {
      throw badCursor("not a cursor printed by 'logseal query'");
    }
    if (c.q !== hash) {
      throw badCursor(
        "this cursor belongs to a query with other filters: repeat that query's filters",
      );
    }
    // The window resolved for the first page: relative times do not move between pages.
    since = c.since as number;
    until = c.until as number;
    after = c.last as number;
  }
  return { filters, since, until, after, hash };
}

function corrupt(what: string, key: string): LogsealError {
  return new LogsealError("E_STORE_CORRUPT", `${what} is damaged: run 'logseal reindex'`, {
    details: { key },
  });
}

/**
 * The posting list of one value, read a few records at a time (4, doubling to 64 per range
 * read) from its bucket's records; a skip past what was read starts a new range read at the
 * segment holding the target.
 */
class Postings {
  readonly #store: LevelStore;
  readonly #prefix: string;
  readonly #end: string;
  readonly #value: Uint8Array;
  readonly #what: string;
  #buf: Posting[] = [];
  #pos = 0;
  /** Every posting below this index has been read (or skipped). */
  #readUpTo = 0;
  /** The first segment not read yet, when reading on from `#readUpTo`. */
  #nextSeg = 0;
  #exhausted = false;
  #page = 4;

  constructor(store: LevelStore, field: Field, value: string) {
    this.#store = store;
    const bucket = bucketOf(value);
    this.#prefix = postingPrefix(field, bucket);
    this.#end = postingEnd(field, bucket);
    this.#value = utf8(value);
    this.#what = `the ${field} index of ${JSON.stringify(value)}`;
  }

  /** Reads from `from` on; returns the estimated postings from there to `bound`. */
  async estimate(from: number, bound: number): Promise<number> {
    await this.#fill(from);
    const n = this.#buf.length;
    if (this.#exhausted || this.#readUpTo <= from) return n;
    return (n * Math.max(bound - from, 1)) / (this.#readUpTo - from);
  }

  /** The first posting with index ≥ t, or null at the end of the list. */
  async atLeast(t: number): Promise<Posting | null> {
    for (;;) {
      const buf = this.#buf;
      const last = buf[buf.length - 1];
      if (last !== undefined && last.index >= t) {
        let lo = this.#pos;
        let hi = buf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((buf[mid] as Posting).index < t) lo = mid + 1;
          else hi = mid;
        }
        this.#pos = lo;
        return buf[lo] as Posting;
      }
      if (this.#exhausted) return null;
      await this.#fill(Math.max(t, this.#readUpTo));
    }
  }

  /** The first segment of this bucket that may hold entry `from`. */
  async #segmentAt(from: number): Promise<number> {
    if (from === this.#readUpTo) return this.#nextSeg;
    for await (const [key] of this.#store.iterate({
      gte: this.#prefix,
      lte: this.#prefix + pad16(from),
      reverse: true,
      limit: 1,
    })) {
      const seg = trailingIndex(key);
      if (seg < 0) throw corrupt(this.#what, key);
      return Math.max(seg, this.#nextSeg);
    }
    return this.#nextSeg;
  }

  async #fill(from: number): Promise<void> {
    const buf: Posting[] = [];
    let records = 0;
    let seg = -1;
    for await (const [key, value] of this.#store.iterate({
      gte: this.#prefix + pad16(await this.#segmentAt(from)),
      lt: this.#end,
      limit: this.#page,
    })) {
      seg = trailingIndex(key);
      const postings = seg < 0 ? null : decodeGroup(seg, value, this.#value);
      if (postings === null) throw corrupt(this.#what, key);
      for (const p of postings) if (p.index >= from) buf.push(p);
      records++;
    }
    // Segments do not overlap: the next record's segment starts after every entry of `seg`.
    if (seg >= 0) {
      this.#nextSeg = seg + 1;
      this.#readUpTo = Math.max(seg + 1, from, (buf[buf.length - 1]?.index ?? -1) + 1);
    }
    this.#exhausted = records < this.#page;
    this.#buf = buf;
    this.#pos = 0;
    this.#page = Math.min(this.#page * 2, 64);
  }
}

/** Matching entry indexes > r.after and < bound, ascending. */
async function* matches(store: LevelStore, r: Resolved, bound: number): AsyncGenerator<number> {
  const start = r.after + 1;
  const inWindow = (ts: number) => ts >= r.since && ts < r.until;
  if (r.filters.length > 0) {
    const lists = r.filters.map(([f, v]) => new Postings(store, f, v));
    const sizes = await Promise.all(lists.map((l) => l.estimate(start, bound)));
    const order = lists.map((l, i) => ({ l, n: sizes[i] as number })).sort((a, b) => a.n - b.n);
    const [lead, ...rest] = order.map((o) => o.l) as [Postings, ...Postings[]];
    let cand = start;
    for (;;) {
      const h = await lead.atLeast(cand);
      if (h === null || h.index >= bound) return;
      cand = h.index;
      let agreed = true;
      for (const l of rest) {
        const o = await l.atLeast(cand);
        if (o === null || o.index >= bound) return;
        if (o.index > cand) {
          cand = o.index;
          agreed = false;
          break;
        }
      }
      if (!agreed) continue;
      if (inWindow(h.ts)) yield cand;
      cand++;
    }
  }
  if (r.since > 0 || r.until <= MAX_TIMESTAMP) {
    // Time only: the window's hour records, then the hits in index order.
    const hits: number[] = [];
    const last = Math.min(r.until, MAX_TIMESTAMP + 1) - 1;
    for await (const [key, value] of store.iterate({
      gte: TIME_PREFIX + pad16(r.since - (r.since % HOUR)),
      lt: TIME_PREFIX + pad16(last - (last % HOUR) + HOUR),
    })) {
      const seg = trailingIndex(key);
      const postings = seg < 0 ? null : decodePostings(seg, value);
      if (postings === null) throw corrupt("the time index", key);
      if (seg >= bound) continue;
      for (const p of postings) {
        if (p.index >= start && p.index < bound && inWindow(p.ts)) hits.push(p.index);
      }
    }
    hits.sort((a, b) => a - b);
    yield* hits;
    return;
  }
  for (let i = start; i < bound; i++) yield i;
}

/**
 * The cursor that continues `options` after entry `last` (as `query` returns it). Give the
 * same `now` as the query had, so relative times resolve the same.
 */
export function queryCursor(options: QueryOptions, last: number): string {
  const r = resolve(options);
  return encodeCursor(r, Math.max(last, r.after));
}

/**
 * Streams the matching entries in index order, loading events a bundle-sized group at a time.
 * @throws LogsealError E_USAGE (a bad filter, time or cursor), E_INDEX_STALE
 */
export async function* queryStream(
  store: LevelStore,
  options: QueryOptions = {},
): AsyncGenerator<QueryHit> {
  const r = resolve(options);
  const { indexed } = await requireIndex(store);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let group: number[] = [];
  let sent = 0;
  const load = async function* () {
    const events = await readEvents(store, group);
    for (const index of group) yield { index, event: events.get(index) as Event };
    sent += group.length;
    group = [];
  };
  for await (const index of matches(store, r, indexed)) {
    group.push(index);
    if (sent + group.length >= limit) break;
    if (group.length >= 256) yield* load();
  }
  if (group.length > 0) yield* load();
}

/**
 * One page of matching entries, in index order.
 * @returns the entries, a cursor to continue after them, and whether more were found
 * @throws LogsealError E_USAGE (a bad filter, time, limit or cursor), E_INDEX_STALE
 */
export async function query(store: LevelStore, options: QueryOptions = {}): Promise<QueryPage> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new LogsealError(
      "E_USAGE",
      `the limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`,
      { location: { field: "--limit" } },
    );
  }
  const r = resolve(options);
  const { indexed } = await requireIndex(store);
  const found: number[] = [];
  for await (const index of matches(store, r, indexed)) {
    found.push(index);
    if (found.length > limit) break;
  }
  const more = found.length > limit;
  const page = found.slice(0, limit);
  const events = await readEvents(store, page);
  const entries = page.map((index) => ({ index, event: events.get(index) as Event }));
  return { entries, cursor: encodeCursor(r, page.at(-1) ?? r.after), more };
}
