/**
 * `POST /v1/events` input: the request body as text, split into events (one JSON object, an
 * array, or JSON lines, as `logseal append` reads them), and every event validated before the
 * request joins a group commit, so that a bad request is refused alone and whole.
 */
import type { IncomingMessage } from "node:http";
import { fromUtf8 } from "../bytes.js";
import { checkControlIds } from "../controls/policy.js";
import { LogsealError, withLocation } from "../errors.js";
import {
  completeEvent,
  type EventInput,
  encodeLeaf,
  leafTooLarge,
  MAX_LEAF_SIZE,
  parseEventsText,
  validateEvent,
} from "../event/index.js";
import type { PreparedEvents, Preparer } from "../prepare.js";

/**
 * Reads a request body of at most `maxBytes`.
 * @throws LogsealError E_INPUT_TOO_LARGE (by Content-Length, before reading, or while reading)
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new LogsealError(
      "E_INPUT_TOO_LARGE",
      `the request body is larger than ${maxBytes} bytes: send fewer events per request`,
      { details: { limit: maxBytes } },
    );
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    // Not an async iterator: leaving one early destroys the socket, and the 413 must get out.
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        done();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * A body as text, decoded as strict UTF-8.
 * @throws LogsealError E_INPUT_JSON when it is not UTF-8
 */
export function decodeBody(body: Uint8Array): string {
  const text = fromUtf8(body);
  if (text === null) throw new LogsealError("E_INPUT_JSON", "the request body is not valid UTF-8");
  return text;
}

/** {@link readBody}, then {@link decodeBody}. */
export async function readBodyText(req: IncomingMessage, maxBytes: number): Promise<string> {
  return decodeBody(await readBody(req, maxBytes));
}

/**
 * Splits and validates the events of one request.
 * @param now the integration time used to size the leaves (the batch stamps its own).
 * @throws LogsealError E_INPUT_JSON, E_INPUT_EMPTY, E_EVENT_INVALID (with the line and field),
 *   E_EVENT_TOO_LARGE (with the line), E_INPUT_TOO_LARGE (more than `maxEvents` events)
 */
export function parseRequestEvents(text: string, maxEvents: number, now: number): EventInput[] {
  const items = requestItems(text, maxEvents);
  const inputs: EventInput[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { value: unknown; line: number };
    const value = item.value;
    // The line only for an error: in an array body, finding it scans the text.
    const where = () => ({ line: item.line });
    // Control ids first, so that a 2013 id is answered with its 2022 successor.
    checkControlIds(value, where);
    let input: EventInput;
    try {
      input = validateEvent(value);
    } catch (e) {
      throw withLocation(e, where());
    }
    // A leaf within the bound cannot be too large; only a larger one is encoded to find out.
    if (leafSizeBound(input) > MAX_LEAF_SIZE) {
      try {
        encodeLeaf(completeEvent(input, now));
      } catch (e) {
        if (e instanceof LogsealError) {
          throw new LogsealError(e.code, e.message, {
            location: { line: item.line, ...e.location },
            ...(e.details ? { details: e.details } : {}),
          });
        }
        throw e;
      }
    }
    inputs[i] = input;
  }
  return inputs;
}

/** The values of a request text with their lines, at most `maxEvents` of them. */
function requestItems(text: string, maxEvents: number): Array<{ value: unknown; line: number }> {
  const items = parseEventsText(text);
  if (items.length > maxEvents) {
    throw new LogsealError(
      "E_INPUT_TOO_LARGE",
      `the request holds ${items.length} events: the limit is ${maxEvents} per request`,
      { details: { events: items.length, limit: maxEvents } },
    );
  }
  return items;
}

/**
 * A request body prepared for `Log.appendPrepared` by `preparer` (the log's transforms' pure
 * parts, the validation and encoding, the leaf hashes), stamped `now`: on an ingest worker, or
 * on the main thread when there is none. The preparer validates each event as `Log.append`
 * does, so there is no check of its own before it (that was each event validated twice); a
 * leaf over the size limit is refused here, before the request is queued.
 * @throws LogsealError E_INPUT_JSON, E_INPUT_EMPTY, E_INPUT_TOO_LARGE, then as `Log.append`
 *   for the same values (E_CONTROL_UNKNOWN, E_EVENT_INVALID, E_EVENT_TOO_LARGE), with the line
 */
export function prepareRequest(
  body: Uint8Array,
  maxEvents: number,
  now: number,
  preparer: Preparer,
): PreparedEvents {
  const items = requestItems(decodeBody(body), maxEvents);
  const locate = (i: number) => ({ line: (items[i] as { line: number }).line });
  const prepared = preparer.prepare(
    items.map((it) => it.value),
    now,
    locate,
  );
  if (prepared.oversize) {
    for (let i = 0, from = 0; i < prepared.count; i++) {
      const end = prepared.ends[i] as number;
      const size = end - from - 2; // the record's 2-byte length prefix
      if (size > MAX_LEAF_SIZE) throw withLocation(leafTooLarge(size), locate(i));
      from = end;
    }
  }
  return prepared;
}

/**
 * The events of a request text that {@link parseRequestEvents} accepted, as the text of one
 * JSON array of them, made of the request's own text: the text itself when it is an array, the
 * one object in brackets, or the non-blank JSON lines joined with commas. `JSON.parse` of it
 * gives the same values as `parseEventsText` (which has ruled out duplicate keys), so the
 * ingest worker sends this back instead of re-serialising what it parsed. The append path
 * validates them again, as it does every value (the validated copies add `v: 1` only).
 * @param count how many events parseRequestEvents found in `text`
 */
export function eventsArrayText(text: string, count: number): string {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  for (; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
  }
  if (src.charCodeAt(i) === 0x5b) return src; // [
  // One object: the whole text is that value (blank lines around it are white space).
  if (count === 1) return `[${src}]`;
  const parts: string[] = [];
  let start = 0;
  while (start <= src.length) {
    let nl = src.indexOf("\n", start);
    if (nl < 0) nl = src.length;
    for (let k = start; k < nl; k++) {
      const c = src.charCodeAt(k);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) {
        parts.push(src.slice(start, nl));
        break;
      }
    }
    start = nl + 1;
  }
  return `[${parts.join(",")}]`;
}

/**
 * An upper bound of the leaf size of a validated event once completed: canonical MessagePack
 * spends at most 5 header bytes on a string, array or map, 9 bytes on a number, 3 UTF-8 bytes
 * per UTF-16 code unit of a string; `v`, `ts` and `at` add at most 32 bytes.
 */
export function leafSizeBound(input: EventInput): number {
  return 32 + bound(input);
}

function bound(v: unknown): number {
  if (typeof v === "string") return 5 + 3 * v.length;
  if (typeof v === "number") return 9;
  if (typeof v !== "object" || v === null) return 1;
  let n = 5;
  if (Array.isArray(v)) {
    for (const x of v) n += bound(x);
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) n += 5 + 3 * k.length + bound(o[k]);
  return n;
}
