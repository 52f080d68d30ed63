/**
 * Event, schema v1: the types and the validator. `formats/event-v1.md` is the specification;
 * every rule below is stated there with the same limits.
 *
 * The validator is the gate for producer input (`validateEvent`) and for leaves read back from
 * a log (`decodeLeaf` checks the decoded value with the same rules plus `at`), so it treats its
 * input as attacker-controlled: every value is checked for its type before it is used, plain
 * objects only, bounded depth, and a key named `__proto__` stays an ordinary own property.
 */

import { type Location, LogsealError } from "../errors.js";

/** A JSON value as the log stores it: numbers are finite, integers are safe. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** What kind of party acted. */
export type ActorKind = "user" | "service" | "agent";

/** How the action ended. */
export type Outcome = "success" | "failure" | "denied";

/** Who did it. */
export interface Actor {
  /** A stable id (user name, e-mail, service account): 1..256 bytes of printable text. */
  id: string;
  /** The role the actor acted in (`data-engineer`, `ml-platform`): 1..128 bytes. */
  role?: string;
  kind?: ActorKind;
}

/** What a producer sends: `at` is never part of it, `v` and `ts` may be left out. */
export interface EventInput {
  /** Schema version: 1 (set by `validateEvent` when left out). */
  v?: 1;
  /** The producer's event id, for retry-safe ingestion. */
  id?: string;
  /** When it happened, ms since the Unix epoch; the log uses `at` when it is left out. */
  ts?: number;
  actor: Actor;
  action: string;
  outcome: Outcome;
  asset?: string;
  inputs?: string[];
  outputs?: string[];
  controls?: string[];
  details?: JsonObject;
}

/** A complete event, as the log stores it in a leaf. */
export interface Event extends Omit<EventInput, "v" | "ts"> {
  v: 1;
  ts: number;
  /** When the log integrated the event, ms since the Unix epoch. Set by the log only. */
  at: number;
}

/** The largest timestamp: the end of the ECMAScript Date range (year 275760). */
export const MAX_TIMESTAMP = 8_640_000_000_000_000;

/** Limits of schema v1, in UTF-8 bytes for strings and entries for arrays. */
export const LIMITS = {
  id: 256,
  actorId: 256,
  actorRole: 128,
  action: 128,
  assetRef: 1024,
  assetKind: 32,
  assetList: 1024,
  controls: 128,
  /** Nesting of `details`: the details object itself is depth 1. */
  detailsDepth: 32,
} as const;

export const ACTOR_KINDS: readonly ActorKind[] = ["user", "service", "agent"];
export const OUTCOMES: readonly Outcome[] = ["success", "failure", "denied"];

const FIELDS = [
  "v",
  "id",
  "ts",
  "at",
  "actor",
  "action",
  "outcome",
  "asset",
  "inputs",
  "outputs",
  "controls",
  "details",
] as const;
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);
const ACTOR_FIELDS: ReadonlySet<string> = new Set(["id", "role", "kind"]);

const ACTION_RE = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
const ASSET_KIND_RE = /^[a-z][a-z0-9_]*$/;
const CONTROL_RE = /^A\.[5-8]\.[1-9][0-9]?$/;
/** A lone surrogate: with the u flag a well-formed pair is one code point and does not match. */
const LONE_SURROGATE_RE = /\p{Cs}/u;
/** Control characters, bidirectional formatting (Trojan Source), line/paragraph separators. */
const UNPRINTABLE_RE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
const EDGE_SPACE_RE = /^\s|\s$/u;
const PATH_NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

type Mode = "input" | "stored";

/**
 * Validates what a producer sent and returns a normalised copy: `v` is set to 1, fields that
 * are `undefined` are left out, `-0` becomes `0`, and nothing else changes. The copy shares
 * nothing with `value`.
 *
 * @param value the parsed JSON of one event (attacker-controlled).
 * @param location where it came from (`file`, `line`); copied into the error with the field.
 * @throws LogsealError `E_EVENT_INVALID` with `location.field` set to the exact path of the
 *   offending value (`actor.id`, `inputs[2]`, `details.a.b`, `details["x.y"]`).
 */
export function validateEvent(value: unknown, location?: Location): EventInput {
  return checkEvent(value, "input", location) as EventInput;
}

/**
 * Validates a complete event (with `v`, `ts` and `at`), as read from a leaf or before one is
 * written. Same rules as `validateEvent`, except that `at` is required instead of forbidden.
 * @throws LogsealError `E_EVENT_INVALID`, as `validateEvent`.
 */
export function validateStoredEvent(value: unknown, location?: Location): Event {
  return checkEvent(value, "stored", location) as Event;
}

/**
 * Completes a validated input into the event the log stores: sets `at`, and `ts` to `at` when
 * the producer left it out. Shallow: the result shares `actor`, arrays and `details` with
 * `input`.
 * @param at the log's clock, integer ms since the Unix epoch.
 * @throws RangeError if `at` is not an integer in 0..MAX_TIMESTAMP (a caller bug).
 */
export function completeEvent(input: EventInput, at: number): Event {
  if (!isTimestamp(at)) {
    throw new RangeError(`at must be an integer in 0..${MAX_TIMESTAMP}, got ${String(at)}`);
  }
  const out: Event = {
    v: 1,
    ts: input.ts ?? at,
    at,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
  };
  if (input.id !== undefined) out.id = input.id;
  if (input.asset !== undefined) out.asset = input.asset;
  if (input.inputs !== undefined) out.inputs = input.inputs;
  if (input.outputs !== undefined) out.outputs = input.outputs;
  if (input.controls !== undefined) out.controls = input.controls;
  if (input.details !== undefined) out.details = input.details;
  return out;
}

/** The UTF-8 length of a well-formed string, without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a pair (lone surrogates are rejected before lengths matter)
      i++;
    } else n += 3;
  }
  return n;
}

/** The path of a member: `.name` when it is a plain identifier, `["…"]` (JSON string) if not. */
export function memberPath(parent: string, key: string): string {
  const part = PATH_NAME_RE.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return parent === "" ? part.replace(/^\./, "") : parent + part;
}

function checkEvent(value: unknown, mode: Mode, location: Location | undefined): EventInput {
  const fail: Fail = (field, message) => {
    const loc: Location = { ...location };
    if (field !== undefined) loc.field = field;
    else delete loc.field;
    throw new LogsealError("E_EVENT_INVALID", message, { location: loc });
  };

  if (!isPlainObject(value)) {
    return fail(undefined, `an event must be a JSON object, not ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (FIELD_SET.has(key)) continue;
    const hint = closeField(key);
    return fail(
      memberPath("", key),
      `unknown field ${JSON.stringify(key)}: ` +
        (hint === undefined ? `schema v1 has ${FIELDS.join(", ")}` : `did you mean "${hint}"?`) +
        `; put free-form data under "details"`,
    );
  }
  const get = (k: string): unknown => (value as Record<string, unknown>)[k];

  // v
  const v = get("v");
  if (v === undefined) {
    if (mode === "stored") fail("v", "v is missing: a stored event has v 1");
  } else if (v !== 1) {
    fail("v", `v must be 1 (schema version 1)${mode === "input" ? " or left out" : ""}`);
  }

  const out: Record<string, unknown> = { v: 1 };

  // id
  const id = get("id");
  if (id !== undefined) {
    checkText(id, "id", LIMITS.id, fail);
    out.id = id;
  }

  // ts, at
  const ts = get("ts");
  if (ts === undefined) {
    if (mode === "stored") fail("ts", "ts is missing: a stored event has ts");
  } else {
    checkTimestamp(ts, "ts", fail);
    out.ts = ts === 0 ? 0 : ts;
  }
  const at = get("at");
  if (mode === "input") {
    if (at !== undefined) {
      fail(
        "at",
        "at is set by the log when it integrates the event: remove it (use ts for when it happened)",
      );
    }
  } else if (at === undefined) {
    fail("at", "at is missing: a stored event has at");
  } else {
    checkTimestamp(at, "at", fail);
    out.at = at === 0 ? 0 : at;
  }

  // actor
  const actor = get("actor");
  if (actor === undefined) fail("actor", 'actor is missing: send {"id": "…"} at least');
  if (!isPlainObject(actor)) {
    return fail("actor", `actor must be an object {id, role?, kind?}, not ${describe(actor)}`);
  }
  for (const key of Object.keys(actor)) {
    if (!ACTOR_FIELDS.has(key)) {
      fail(
        memberPath("actor", key),
        `unknown field ${JSON.stringify(key)} in actor: actor has id, role and kind; ` +
          `put other data under "details"`,
      );
    }
  }
  const a = actor as Record<string, unknown>;
  if (a.id === undefined) fail("actor.id", "actor.id is missing: say who acted");
  checkText(a.id, "actor.id", LIMITS.actorId, fail);
  const outActor: Actor = { id: a.id as string };
  if (a.role !== undefined) {
    checkText(a.role, "actor.role", LIMITS.actorRole, fail);
    outActor.role = a.role as string;
  }
  if (a.kind !== undefined) {
    if (!(ACTOR_KINDS as readonly unknown[]).includes(a.kind)) {
      fail("actor.kind", `actor.kind must be one of ${ACTOR_KINDS.join(", ")} (or left out)`);
    }
    outActor.kind = a.kind as ActorKind;
  }
  out.actor = outActor;

  // action
  const action = get("action");
  if (action === undefined) fail("action", "action is missing: say what was done (dataset.read)");
  if (
    typeof action !== "string" ||
    action.length > LIMITS.action ||
    !ACTION_RE.test(action) // ASCII only, so the length is the byte length
  ) {
    fail(
      "action",
      `action must be lowercase dotted words with at least two segments, ` +
        `each starting with a letter (dataset.read, model.export), ${LIMITS.action} bytes at most`,
    );
  }
  out.action = action;

  // outcome
  const outcome = get("outcome");
  if (outcome === undefined) fail("outcome", `outcome is missing: send ${OUTCOMES.join(", ")}`);
  if (!(OUTCOMES as readonly unknown[]).includes(outcome)) {
    fail("outcome", `outcome must be one of ${OUTCOMES.join(", ")}`);
  }
  out.outcome = outcome;

  // asset, inputs, outputs
  const asset = get("asset");
  if (asset !== undefined) {
    checkAssetRef(asset, "asset", fail);
    out.asset = asset;
  }
  for (const name of ["inputs", "outputs"] as const) {
    const list = get(name);
    if (list === undefined) continue;
    out[name] = checkList(list, name, LIMITS.assetList, fail, (item, path) =>
      checkAssetRef(item, path, fail),
    );
  }

  // controls
  const controls = get("controls");
  if (controls !== undefined) {
    out.controls = checkList(controls, "controls", LIMITS.controls, fail, (item, path) => {
      if (typeof item !== "string" || !CONTROL_RE.test(item)) {
        fail(path, "a control must be an ISO/IEC 27001:2022 Annex A id such as A.8.11");
      }
    });
  }

  // details
  const details = get("details");
  if (details !== undefined) {
    if (!isPlainObject(details)) {
      fail("details", `details must be a JSON object, not ${describe(details)}`);
    }
    out.details = copyJson(details, "details", 1, fail);
  }

  return out as unknown as EventInput;
}

type Fail = (field: string | undefined, message: string) => never;

function checkTimestamp(x: unknown, field: string, fail: Fail): void {
  if (!isTimestamp(x)) {
    fail(
      field,
      `${field} must be an integer count of milliseconds since the Unix epoch, ` +
        `0..${MAX_TIMESTAMP} (seconds × 1000)`,
    );
  }
}

function isTimestamp(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= MAX_TIMESTAMP;
}

/** Printable text: 1..max UTF-8 bytes, no control or bidi characters, no edge white space. */
function checkText(x: unknown, field: string, max: number, fail: Fail): void {
  if (typeof x !== "string") fail(field, `${field} must be a string, not ${describe(x)}`);
  const s = x as string;
  if (s.length === 0) fail(field, `${field} must not be empty`);
  if (LONE_SURROGATE_RE.test(s))
    fail(field, `${field} contains a lone surrogate: send valid Unicode`);
  const n = utf8Length(s);
  if (n > max) fail(field, `${field} is ${n} bytes long in UTF-8: the limit is ${max}`);
  if (UNPRINTABLE_RE.test(s)) {
    fail(
      field,
      `${field} contains a control, line separator or bidirectional formatting character: ` +
        `send printable text`,
    );
  }
  if (EDGE_SPACE_RE.test(s)) fail(field, `${field} starts or ends with white space: trim it`);
}

/** `kind:name`: a lowercase kind, then a name that is printable text. */
function checkAssetRef(x: unknown, field: string, fail: Fail): void {
  const usage = "(dataset:customers-2024, model:fraud-v3, run:8f2c…, job:nightly-etl)";
  if (typeof x !== "string") {
    fail(
      field,
      `${field} must be an asset reference string kind:name ${usage}, not ${describe(x)}`,
    );
  }
  const s = x as string;
  const colon = s.indexOf(":");
  const kind = colon < 0 ? "" : s.slice(0, colon);
  if (colon < 0 || !ASSET_KIND_RE.test(kind) || kind.length > LIMITS.assetKind) {
    fail(
      field,
      `${field} must be kind:name with a lowercase kind of at most ${LIMITS.assetKind} ` +
        `letters, digits and _ ${usage}`,
    );
  }
  if (colon === s.length - 1) fail(field, `${field} has an empty name after "${kind}:"`);
  checkText(s, field, LIMITS.assetRef, fail);
  if (EDGE_SPACE_RE.test(s.slice(colon + 1))) {
    fail(field, `${field} has white space after "${kind}:": trim the name`);
  }
}

function checkList(
  x: unknown,
  field: string,
  max: number,
  fail: Fail,
  checkItem: (item: unknown, path: string) => void,
): string[] {
  if (!Array.isArray(x)) fail(field, `${field} must be an array of strings, not ${describe(x)}`);
  const arr = x as unknown[];
  if (arr.length > max) fail(field, `${field} has ${arr.length} entries: the limit is ${max}`);
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    const path = `${field}[${i}]`;
    checkItem(item, path);
    const s = item as string;
    const first = seen.get(s);
    if (first !== undefined) {
      fail(path, `${path} repeats ${field}[${first}] (${JSON.stringify(s)}): list each once`);
    }
    seen.set(s, i);
    out.push(s);
  }
  return out;
}

/** Deep-copies free-form JSON, checking every value; `depth` is the depth of `x` itself. */
function copyJson(x: unknown, path: string, depth: number, fail: Fail): JsonValue {
  switch (typeof x) {
    case "string":
      if (LONE_SURROGATE_RE.test(x))
        fail(path, `${path} contains a lone surrogate: send valid Unicode`);
      return x;
    case "number":
      if (!Number.isFinite(x)) {
        fail(path, `${path} is ${String(x)}: numbers must be finite (send it as a string or null)`);
      }
      if (Number.isInteger(x) && !Number.isSafeInteger(x)) {
        fail(
          path,
          `${path} is an integer beyond ±(2^53-1), which JSON numbers cannot carry exactly: ` +
            `send it as a string`,
        );
      }
      return x === 0 ? 0 : x; // -0 becomes 0, as in the leaf
    case "boolean":
      return x;
    case "bigint":
      return fail(
        path,
        `${path} is a bigint: send a safe integer as a number, anything larger as a string`,
      );
    case "object": {
      if (x === null) return null;
      if (depth > LIMITS.detailsDepth) {
        fail(path, `${path} is nested deeper than ${LIMITS.detailsDepth} levels inside details`);
      }
      if (Array.isArray(x)) {
        const out: JsonValue[] = new Array(x.length);
        for (let i = 0; i < x.length; i++)
          out[i] = copyJson(x[i], `${path}[${i}]`, depth + 1, fail);
        return out;
      }
      if (!isPlainObject(x)) break;
      const out: JsonObject = {};
      for (const key of Object.keys(x)) {
        const keyPath = memberPath(path, key);
        if (LONE_SURROGATE_RE.test(key)) {
          fail(keyPath, `a key in ${path} contains a lone surrogate: send valid Unicode`);
        }
        setOwn(out, key, copyJson((x as Record<string, unknown>)[key], keyPath, depth + 1, fail));
      }
      return out;
    }
    default:
      break;
  }
  return fail(path, `${path} is ${describe(x)}, which is not JSON`);
}

/**
 * Sets an own enumerable property. `o[k] = v` with k `__proto__` would replace the prototype
 * instead; JSON.parse creates an own property, and so must every copy (security: no prototype
 * pollution from details).
 */
export function setOwn(o: object, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (o as Record<string, unknown>)[key] = value;
  }
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  switch (typeof x) {
    case "string":
      return "a string";
    case "number":
      return Number.isFinite(x) ? "a number" : String(x);
    case "boolean":
      return "a boolean";
    case "bigint":
      return "a bigint";
    case "undefined":
      return "undefined";
    case "object":
      return isPlainObject(x) ? "an object" : `a ${x.constructor?.name ?? "non-plain"} object`;
    default:
      return `a ${typeof x}`;
  }
}

/** Names producers often use for a v1 field, for "did you mean" hints. */
const SYNONYMS: Readonly<Record<string, string>> = {
  time: "ts",
  timestamp: "ts",
  event_time: "ts",
  eventtime: "ts",
  user: "actor",
  principal: "actor",
  who: "actor",
  type: "action",
  event: "action",
  event_type: "action",
  operation: "action",
  status: "outcome",
  result: "outcome",
  resource: "asset",
  target: "asset",
  dataset: "asset",
  metadata: "details",
  data: "details",
  attributes: "details",
  extra: "details",
  context: "details",
  version: "v",
  event_id: "id",
  uuid: "id",
};

/** A known field close to `key` (a synonym, or a typo within edit distance 2). */
function closeField(key: string): string | undefined {
  const k = key.toLowerCase();
  const synonym = SYNONYMS[k];
  if (synonym !== undefined && Object.hasOwn(SYNONYMS, k)) return synonym;
  let best: string | undefined;
  let bestD = Math.min(3, Math.ceil(k.length / 2)); // "x" is not a typo of "v"
  for (const f of FIELDS) {
    const d = f === k ? 0 : editDistance(k, f, bestD);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it reaches `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin >= limit) return limit;
    prev = cur;
  }
  return Math.min(prev[b.length] ?? limit, limit);
}
