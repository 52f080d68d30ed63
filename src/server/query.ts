/**
 * Query parameters of `GET /v1/events` and `GET /v1/stream`: the filters of `logseal query`
 * (actor, action, asset, control, outcome, since, until). `GET /v1/events` answers from the
 * query indexes (src/lineage/query.ts) with the same cursor as `logseal query`; the live tail
 * checks each new event against the same filters with {@link matches}.
 *
 * Parameters are attacker-controlled: each is parsed strictly and named in the error.
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

/** Reads the filter parameters (actor, action, asset, control, outcome, since, until). */
export function parseFilter(params: URLSearchParams, now = Date.now()): EventFilter {
  const f: EventFilter = {};
  for (const name of ["actor", "action", "asset", "control"] as const) {
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
  if (since !== null) f.since = parseTime(since, "since", now);
  const until = params.get("until");
  if (until !== null) f.until = parseTime(until, "until", now);
  return f;
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
