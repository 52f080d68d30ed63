/**
 * OpenLineage import: RunEvents (spec 1-0-x and 2-0-x, every eventType) become logseal events,
 * whose inputs and outputs are lineage edges. formats/lineage.md, "OpenLineage", has the
 * mapping; in short:
 *
 *   run.runId                 → asset `run:<runId>`
 *   job {namespace, name}     → input `job:<namespace>/<name>` (the run executes the job)
 *   inputs[] / outputs[]      → inputs / outputs `dataset:<namespace>/<name>`
 *   eventType                 → action `run.start|running|complete|abort|fail|other`
 *                               outcome `failure` for FAIL and ABORT, else `success`
 *   eventTime                 → ts (ISO 8601; without an offset, UTC)
 *   producer (else the job)   → actor {id, kind: "service"}
 *   the whole RunEvent        → details.openlineage, facets and unknown keys included
 *   (runId, eventType, eventTime) → id `openlineage:<SHA-256 hex>`, so a re-import appends nothing
 *
 * When the whole RunEvent does not fit in a leaf (65535 bytes) or holds values schema v1 cannot
 * store (integers beyond 2^53, nesting deeper than 32), details keep the lineage fields, the
 * facet names, and the SHA-256 of the whole event as canonical JSON, and say why.
 *
 * The input is attacker-controlled: every field is checked for its type before it is used, and
 * an event that lacks what lineage needs is reported with its line and the reason.
 */
import { createHash } from "node:crypto";
import { LogsealError } from "../errors.js";
import {
  completeEvent,
  type EventInput,
  encodeLeaf,
  type JsonObject,
  type ParsedEvent,
  parseEventsText,
  validateEvent,
} from "../event/index.js";
import type { Appended, Log } from "../log.js";
import { parseIsoTime } from "./time.js";

export const EVENT_TYPES = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] as const;

/** An input event that cannot be imported, and why. */
export interface OpenLineageProblem {
  line: number;
  reason: string;
}

export interface ConvertedEvent {
  line: number;
  event: EventInput;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const nonEmpty = (x: unknown): x is string => typeof x === "string" && x.length > 0;

const sha256hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** JSON with every object's keys sorted (JavaScript code unit order), no white space. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Actor ids: text of schema v1, at most 256 UTF-8 bytes. */
function isActorId(s: unknown): s is string {
  return (
    typeof s === "string" &&
    s.length > 0 &&
    Buffer.byteLength(s, "utf8") <= 256 &&
    !/[\p{Cc}\p{Bidi_Control}\u2028\u2029]|\p{Cs}/u.test(s) &&
    !/^\s|\s$/u.test(s)
  );
}

class Problem extends Error {}

function datasets(x: unknown, where: "inputs" | "outputs"): Obj[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new Problem(`${where} is not an array`);
  return x.map((d, i) => {
    if (!isObj(d) || !nonEmpty(d.namespace) || !nonEmpty(d.name)) {
      throw new Problem(`${where}[${i}] has no namespace and name`);
    }
    return d;
  });
}

const datasetRef = (d: Obj) => `dataset:${d.namespace as string}/${d.name as string}`;
const keysOf = (x: unknown) => (isObj(x) ? Object.keys(x) : []);

/** Details without facets: the lineage fields, facet names, and the hash of the whole event. */
function summary(o: Obj, ins: Obj[], outs: Obj[], reason: string): JsonObject {
  const run = o.run as Obj;
  const job = o.job as Obj;
  const known = new Set(["eventType", "eventTime", "producer", "schemaURL", "run", "job"]);
  known.add("inputs").add("outputs");
  const s: JsonObject = {};
  for (const k of ["eventType", "eventTime", "producer", "schemaURL"] as const) {
    if (typeof o[k] === "string") s[k] = o[k] as string;
  }
  s.run = { runId: run.runId as string };
  s.job = { namespace: job.namespace as string, name: job.name as string };
  s.inputs = ins.map((d) => ({ namespace: d.namespace as string, name: d.name as string }));
  s.outputs = outs.map((d) => ({ namespace: d.namespace as string, name: d.name as string }));
  s.omitted = {
    reason,
    sha256: sha256hex(canonicalJson(o)),
    hashOf: "the whole RunEvent as JSON with object keys sorted, without white space",
    facets: {
      run: keysOf(run.facets),
      job: keysOf(job.facets),
      inputs: ins.map((d) => ({ facets: keysOf(d.facets), inputFacets: keysOf(d.inputFacets) })),
      outputs: outs.map((d) => ({
        facets: keysOf(d.facets),
        outputFacets: keysOf(d.outputFacets),
      })),
    },
    otherKeys: Object.keys(o).filter((k) => !known.has(k)),
  };
  return { openlineage: s };
}

/** Checks an input event as the log will: schema v1 and the leaf size. */
function check(event: EventInput): EventInput {
  const input = validateEvent(event);
  encodeLeaf(completeEvent(input, Date.now()));
  return input;
}

/**
 * Converts one OpenLineage RunEvent (parsed JSON) to a logseal input event, validated and
 * known to fit in a leaf.
 * @throws LogsealError E_OPENLINEAGE_INVALID with the reason, for an event lineage cannot use
 */
export function fromOpenLineage(value: unknown): EventInput {
  try {
    return convert(value);
  } catch (e) {
    if (e instanceof Problem) throw new LogsealError("E_OPENLINEAGE_INVALID", e.message);
    throw e;
  }
}

function convert(value: unknown): EventInput {
  if (!isObj(value)) throw new Problem("not a JSON object");
  const o = value;
  const run = o.run;
  if (!isObj(run)) {
    throw new Problem(
      "no run: not a RunEvent (JobEvents and DatasetEvents carry no run and are not imported)",
    );
  }
  if (!nonEmpty(run.runId)) throw new Problem("no run.runId");
  const job = o.job;
  if (!isObj(job) || !nonEmpty(job.namespace) || !nonEmpty(job.name)) {
    throw new Problem("no job.namespace and job.name");
  }
  if (o.eventTime === undefined) throw new Problem("no eventTime");
  const ts = typeof o.eventTime === "string" ? parseIsoTime(o.eventTime) : null;
  if (ts === null || ts < 0) {
    throw new Problem(`eventTime ${JSON.stringify(o.eventTime)} is not an ISO 8601 date-time`);
  }
  const type = o.eventType ?? "OTHER";
  if (typeof type !== "string" || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new Problem(
      `eventType ${JSON.stringify(o.eventType)} is not one of ${EVENT_TYPES.join(", ")}`,
    );
  }
  const ins = datasets(o.inputs, "inputs");
  const outs = datasets(o.outputs, "outputs");
  const jobRef = `job:${job.namespace}/${job.name}`;
  const inputs = [...new Set([jobRef, ...ins.map(datasetRef)])];
  const outputs = [...new Set(outs.map(datasetRef))];
  const actor = isActorId(o.producer) ? o.producer : isActorId(jobRef) ? jobRef : "openlineage";
  const base: EventInput = {
    v: 1,
    id: `openlineage:${sha256hex(JSON.stringify([run.runId, o.eventType ?? null, o.eventTime]))}`,
    ts,
    actor: { id: actor, kind: "service" },
    action: `run.${type.toLowerCase()}`,
    outcome: type === "FAIL" || type === "ABORT" ? "failure" : "success",
    asset: `run:${run.runId}`,
    inputs,
  };
  if (outputs.length > 0) base.outputs = outputs;
  let reason: string;
  try {
    return check({ ...base, details: { openlineage: o as JsonObject } });
  } catch (e) {
    if (!(e instanceof LogsealError)) throw e;
    if (e.code === "E_EVENT_TOO_LARGE") {
      reason = `the whole RunEvent would make a leaf of ${String(e.details?.size ?? "more than 65535")} bytes, more than 65535`;
    } else if (e.code === "E_EVENT_INVALID" && (e.location?.field ?? "").startsWith("details")) {
      const field = (e.location?.field ?? "").replace(/^details\.openlineage\.?/, "");
      reason = `the RunEvent holds a value schema v1 cannot store at ${field || "its top level"}: ${e.message}`;
    } else {
      throw new Problem(`${e.location?.field ? `${e.location.field}: ` : ""}${e.message}`);
    }
  }
  try {
    return check({ ...base, details: summary(o, ins, outs, reason) });
  } catch (e) {
    if (!(e instanceof LogsealError)) throw e;
    throw new Problem(`${e.location?.field ? `${e.location.field}: ` : ""}${e.message}`);
  }
}

/** The first non-blank line is a JSON object by itself: the text is meant as JSON lines. */
function looksLikeJsonLines(text: string): boolean {
  const line = text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .find((l) => l.trim() !== "");
  if (line === undefined || !line.trim().startsWith("{")) return false;
  try {
    return isObj(JSON.parse(line));
  } catch {
    return false;
  }
}

/**
 * JSON lines one line at a time, so that a line that is not JSON is reported and the others
 * are read (`parseEventsText` stops at the first bad line).
 */
function parseLines(text: string, file: string | undefined, problems: OpenLineageProblem[]) {
  const out: ParsedEvent[] = [];
  text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .forEach((l, i) => {
      if (l.trim() === "") return;
      const line = i + 1;
      if (!l.trim().startsWith("{")) {
        problems.push({ line, reason: "not a JSON object: send one RunEvent per line" });
        return;
      }
      try {
        const [item] = parseEventsText(l, file);
        if (item !== undefined) out.push({ value: item.value, line });
      } catch (e) {
        if (!(e instanceof LogsealError)) throw e;
        problems.push({ line, reason: e.message });
      }
    });
  return out;
}

/**
 * Reads RunEvents from a text: one JSON object, a JSON array, or JSON lines (as
 * `parseEventsText`, except that in JSON lines a line that is not JSON is reported and skipped).
 * @returns the converted events and the problems, each with its 1-based line
 * @throws LogsealError E_INPUT_EMPTY, E_INPUT_JSON (a text that is not JSON at all)
 */
export function parseOpenLineage(
  text: string,
  file?: string,
): { read: number; events: ConvertedEvent[]; problems: OpenLineageProblem[] } {
  const problems: OpenLineageProblem[] = [];
  let items: ParsedEvent[];
  try {
    items = parseEventsText(text, file);
  } catch (e) {
    if (!(e instanceof LogsealError) || e.code !== "E_INPUT_JSON" || !looksLikeJsonLines(text)) {
      throw e;
    }
    items = parseLines(text, file, problems);
  }
  const unparsed = problems.length;
  const events: ConvertedEvent[] = [];
  for (const { value, line } of items) {
    try {
      events.push({ line, event: convert(value) });
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      problems.push({ line, reason: e.message });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { read: items.length + unparsed, events, problems };
}

export interface ImportReport {
  /** RunEvents read from the text (imported, already present, or reported). */
  read: number;
  /** Events appended now. */
  appended: number;
  /** Events already in the log (by their derived id): a re-import appends nothing. */
  duplicates: number;
  /** Events that were not imported, with their line and the reason. */
  problems: OpenLineageProblem[];
  /** The entry indexes of the events appended now. */
  indexes: number[];
  /** The log size after the import. */
  size: number;
}

/**
 * Appends one batch of converted events all or nothing, as {@link Log.append} does: what an
 * import writes through when the log is elsewhere (a `LogClient`'s `POST /v1/events`).
 * `lines` gives each event's line in the input, for errors.
 */
export type AppendBatch = (
  events: EventInput[],
  lines: number[],
) => Promise<{ entries: Appended[]; size: number }>;

/**
 * Imports RunEvents into `log` (or through `append`), in batches of `batch` events (default
 * 1000), each appended atomically. Events that cannot be imported are reported and skipped, or
 * with `strict` nothing is imported when there is one. The lineage and query indexes are
 * written with each batch by the log's indexer (a store written before indexes needs
 * `logseal reindex`).
 * @throws LogsealError E_OPENLINEAGE_INVALID (with `strict` and a problem, or when no event at
 *   all can be imported; details.problems lists them), E_INPUT_JSON, E_INPUT_EMPTY
 */
export async function importOpenLineage(
  into: Log | AppendBatch,
  text: string,
  options: { file?: string; strict?: boolean; batch?: number } = {},
): Promise<ImportReport> {
  const { file } = options;
  const { read, events, problems } = parseOpenLineage(text, file);
  const first = problems[0];
  if (first !== undefined && (options.strict || events.length === 0)) {
    const n = problems.length;
    throw new LogsealError(
      "E_OPENLINEAGE_INVALID",
      `${n} of ${read} RunEvent${read === 1 ? "" : "s"} cannot be imported${n > 1 ? ` (first at line ${first.line})` : ""}: ${first.reason}; nothing was imported`,
      {
        location: { ...(file === undefined ? {} : { file }), line: first.line },
        details: { problems },
      },
    );
  }
  const append: AppendBatch =
    typeof into === "function"
      ? into
      : async (batch, lines) => ({
          entries: await into.append(batch, {
            locate: (k) => ({ ...(file === undefined ? {} : { file }), line: lines[k] ?? 0 }),
          }),
          size: into.size,
        });
  const batch = options.batch ?? 1000;
  const indexes: number[] = [];
  let duplicates = 0;
  let size = typeof into === "function" ? 0 : into.size;
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    const r = await append(
      slice.map((e) => e.event),
      slice.map((e) => e.line),
    );
    for (const a of r.entries) {
      if (a.duplicate) duplicates++;
      else indexes.push(a.index);
    }
    size = r.size;
  }
  return { read, appended: indexes.length, duplicates, problems, indexes, size };
}
