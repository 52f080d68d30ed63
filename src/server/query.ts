/**
 * `GET /v1/events`: filters, an opaque cursor, and a bounded scan over the entries in index
 * order. There is no secondary index yet, so each request reads at most `scanLimit` entries
 * and returns a cursor to go on from; an indexed query will replace the scan behind the same
 * parameters.
 *
 * Parameters are attacker-controlled: each is parsed strictly and named in the error.
 */
import { fromUtf8, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { type Event, OUTCOMES, type Outcome } from "../event/index.js";
import type { LogReader } from "../store/reader.js";
import { decodeEntry, readLeaves } from "./entries.js";

/** Conditions an event must meet; all given ones must hold. */
export interface EventFilter {
  /** `actor.id`, exactly. */
  actor?: string;
  /** `action`, exactly. */
  action?: string;
  /** `asset`, exactly. */
  asset?: string;
  outcome?: Outcome;
  /** `ts` at or after, ms since the Unix epoch. */
  since?: number;
  /** `ts` before, ms since the Unix epoch. */
  until?: number;
}

const INT_RE = /^(0|[1-9]\d{0,15})$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function usage(field: string, message: string): LogsealError {
  return new LogsealError("E_USAGE", message, { location: { field } });
}

/** A non-negative safe integer parameter, strictly decimal. */
export function parseIntParam(value: string, name: string): number {
  if (!INT_RE.test(value) || !Number.isSafeInteger(Number(value))) {
    throw usage(name, `${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** A time: integer ms since the Unix epoch, or ISO 8601 (a date alone is UTC midnight). */
export function parseTime(value: string, name: string): number {
  if (INT_RE.test(value)) return parseIntParam(value, name);
  const t = ISO_RE.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(t)) {
    throw usage(
      name,
      `${name} must be ms since the Unix epoch or an ISO 8601 time (2026-11-26T08:00:00Z), got ${JSON.stringify(value)}`,
    );
  }
  return t;
}

/** Reads the filter parameters (actor, action, asset, outcome, since, until) of a query. */
export function parseFilter(params: URLSearchParams): EventFilter {
  const f: EventFilter = {};
  for (const name of ["actor", "action", "asset"] as const) {
    const v = params.get(name);
    if (v === null) continue;
    if (v === "" || v.length > 1024) throw usage(name, `${name} must be 1-1024 characters`);
    f[name] = v;
  }
  const outcome = params.get("outcome");
  if (outcome !== null) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) {
      throw usage("outcome", `outcome must be one of ${OUTCOMES.join(", ")}`);
    }
    f.outcome = outcome as Outcome;
  }
  const since = params.get("since");
  if (since !== null) f.since = parseTime(since, "since");
  const until = params.get("until");
  if (until !== null) f.until = parseTime(until, "until");
  return f;
}

export function matches(f: EventFilter, e: Event): boolean {
  return (
    (f.actor === undefined || e.actor.id === f.actor) &&
    (f.action === undefined || e.action === f.action) &&
    (f.asset === undefined || e.asset === f.asset) &&
    (f.outcome === undefined || e.outcome === f.outcome) &&
    (f.since === undefined || e.ts >= f.since) &&
    (f.until === undefined || e.ts < f.until)
  );
}

/**
 * Byte strings a matching leaf must contain: MessagePack keeps strings as their UTF-8 bytes,
 * so a leaf without them cannot match and is skipped without decoding.
 */
function needles(f: EventFilter): Buffer[] {
  return [f.actor, f.action, f.asset, f.outcome]
    .filter((s): s is string => s !== undefined)
    .map((s) => Buffer.from(utf8(s)));
}

/** The opaque cursor for "go on at entry `next`". */
export function encodeCursor(next: number): string {
  return Buffer.from(`i:${next}`, "utf8").toString("base64url");
}

/** Parses a cursor made by {@link encodeCursor}. */
export function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,32}$/.test(cursor)
    ? fromUtf8(Buffer.from(cursor, "base64url"))
    : null;
  const m = text === null ? null : /^i:(0|[1-9]\d{0,15})$/.exec(text);
  if (m?.[1] === undefined || !Number.isSafeInteger(Number(m[1]))) {
    throw usage("cursor", "cursor is not one this server gave out: start again without it");
  }
  return Number(m[1]);
}

export interface QueryResult {
  events: Array<{ index: number; event: Event }>;
  /** The cursor to go on from, or null when the scan reached the end of the log. */
  next: string | null;
}

/**
 * Scans entries from `from` (inclusive) up to `size` for matches, stopping after `limit`
 * matches or `scanLimit` entries read.
 */
export async function queryEvents(
  store: LogReader,
  size: number,
  filter: EventFilter,
  options: { from: number; limit: number; scanLimit: number },
): Promise<QueryResult> {
  const { limit, scanLimit } = options;
  const want = needles(filter);
  const events: QueryResult["events"] = [];
  let index = options.from;
  const stop = Math.min(size, options.from + scanLimit);
  const CHUNK = 256;
  while (index < stop && events.length < limit) {
    const chunk = await readLeaves(store, index, Math.min(stop, index + CHUNK));
    for (const { index: i, leaf } of chunk) {
      index = i + 1;
      const bytes = Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength);
      if (!want.every((n) => bytes.indexOf(n) >= 0)) continue;
      const { event } = decodeEntry(i, leaf);
      if (!matches(filter, event)) continue;
      events.push({ index: i, event });
      if (events.length >= limit) break;
    }
  }
  return { events, next: index < size ? encodeCursor(index) : null };
}
