/**
 * The parameters of event queries, read once for every caller: `logseal query`'s options,
 * `GET /v1/events` and `GET /v1/stream`: the filters (actor, action, asset, control, outcome,
 * since, until), and for queries the page's `limit` and `cursor`. `GET /v1/events` and
 * `logseal query` answer from the query indexes (src/lineage/query.ts) with the same cursor;
 * the live tail checks each new event against the same filters with {@link matches}.
 *
 * Parameters are attacker-controlled: each is parsed strictly and named in the error (as the
 * caller names it: `--limit` on the command line, `limit` in a URL).
 */
import { LogsealError } from "../errors.js";
import { type Event, OUTCOMES, type Outcome } from "../event/index.js";
import type { QueryOptions } from "../lineage/query.js";
import { parseTime as parseQueryTime } from "../lineage/time.js";

/** Conditions an event must meet; all given ones must hold (as `logseal query`'s filters). */
export interface EventFilter {
  /** `actor.id`, exactly. */
  actor?: string;
  /** `action`, exactly. */
  action?: string;
  /** An asset the event names: its `asset`, an input or an output. */
  asset?: string;
  /** An Annex A control id in `controls`. */
  control?: string;
  outcome?: Outcome;
  /** `ts` at or after, ms since the Unix epoch. */
  since?: number;
  /** `ts` before, ms since the Unix epoch. */
  until?: number;
}

const INT_RE = /^(0|[1-9]\d{0,15})$/;

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

/**
 * A time: integer ms since the Unix epoch, ISO 8601, `now` or relative to now (`-24h`), as
 * `logseal query --since` reads it.
 */
export function parseTime(value: string, name: string, now = Date.now()): number {
  if (INT_RE.test(value)) return parseIntParam(value, name);
  return parseQueryTime(value, now, name);
}

/** The filters' names, in the order they are documented. */
export const FILTER_NAMES = [
  "actor",
  "action",
  "asset",
  "control",
  "outcome",
  "since",
  "until",
] as const;

/** The parameters of an event query: the filters, `limit` and `cursor`. */
export const QUERY_PARAMS = [...FILTER_NAMES, "limit", "cursor"] as const;

/**
 * Named text values (a URL's parameters, a command's options): a value, or `undefined` or
 * `null` when the parameter is not given.
 */
export type Params = URLSearchParams | ((name: string) => string | undefined | null);

export interface ParamOptions {
  /** The current time, for relative times (default `Date.now()`). */
  now?: number;
  /** How a parameter is named in errors: `--limit` on the command line (default: `limit`). */
  label?: (name: string) => string;
}

function getter(params: Params): (name: string) => string | undefined {
  if (typeof params === "function") return (name) => params(name) ?? undefined;
  return (name) => params.get(name) ?? undefined;
}

/** Reads the filter parameters (actor, action, asset, control, outcome, since, until). */
export function parseFilter(params: Params, options: ParamOptions = {}): EventFilter {
  const get = getter(params);
  const label = options.label ?? ((n: string) => n);
  const now = options.now ?? Date.now();
  const f: EventFilter = {};
  for (const name of ["actor", "action", "asset", "control"] as const) {
    const v = get(name);
    if (v === undefined) continue;
    if (v === "" || v.length > 1024) {
      throw usage(label(name), `${label(name)} must be 1-1024 characters`);
    }
    f[name] = v;
  }
  const outcome = get("outcome");
  if (outcome !== undefined) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) {
      throw usage(label("outcome"), `${label("outcome")} must be one of ${OUTCOMES.join(", ")}`);
    }
    f.outcome = outcome as Outcome;
  }
  const since = get("since");
  if (since !== undefined) f.since = parseTime(since, label("since"), now);
  const until = get("until");
  if (until !== undefined) f.until = parseTime(until, label("until"), now);
  return f;
}

/** A parsed event query: what `query` takes, with the page size always set. */
export type EventsQueryOptions = QueryOptions & { limit: number };

/**
 * Reads an event query: the filters as {@link parseFilter} does, `limit` (1..`maxLimit`,
 * default 100) and `cursor`.
 * @throws LogsealError E_USAGE naming the parameter
 */
export function parseEventsQuery(
  params: Params,
  options: ParamOptions & { maxLimit?: number } = {},
): EventsQueryOptions {
  const get = getter(params);
  const label = options.label ?? ((n: string) => n);
  const q: EventsQueryOptions = { ...queryOptions(parseFilter(get, options)), limit: 100 };
  const limit = get("limit");
  if (limit !== undefined) {
    q.limit = parseIntParam(limit, label("limit"));
    const max = options.maxLimit ?? Number.MAX_SAFE_INTEGER;
    if (q.limit < 1 || q.limit > max) {
      throw usage(
        label("limit"),
        max === Number.MAX_SAFE_INTEGER
          ? `${label("limit")} must be at least 1`
          : `${label("limit")} must be 1..${max}`,
      );
    }
  }
  const cursor = get("cursor");
  if (cursor !== undefined) q.cursor = cursor;
  return q;
}

/** The options of the indexed query for `filter` (the syntax of each value is checked there). */
export function queryOptions(f: EventFilter): QueryOptions {
  const q: QueryOptions = {};
  if (f.actor !== undefined) q.actor = f.actor;
  if (f.action !== undefined) q.action = f.action;
  if (f.asset !== undefined) q.asset = f.asset;
  if (f.control !== undefined) q.control = f.control;
  if (f.outcome !== undefined) q.outcome = f.outcome;
  if (f.since !== undefined) q.since = f.since;
  if (f.until !== undefined) q.until = f.until;
  return q;
}

export function matches(f: EventFilter, e: Event): boolean {
  return (
    (f.actor === undefined || e.actor.id === f.actor) &&
    (f.action === undefined || e.action === f.action) &&
    (f.asset === undefined ||
      e.asset === f.asset ||
      e.inputs?.includes(f.asset) === true ||
      e.outputs?.includes(f.asset) === true) &&
    (f.control === undefined || e.controls?.includes(f.control) === true) &&
    (f.outcome === undefined || e.outcome === f.outcome) &&
    (f.since === undefined || e.ts >= f.since) &&
    (f.until === undefined || e.ts < f.until)
  );
}
