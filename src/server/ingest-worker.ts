/**
 * An ingest worker thread: decodes, splits and validates request bodies off the main thread
 * (ingest-pool.ts), and, when started with the log's prepare spec (`workerData.spec`), does the
 * writer-independent half of their append too: masking, the controls mapping, the canonical
 * leaves and their hashes (src/prepare.ts, the same functions `Log.append` runs).
 *
 * In: `{id, body, maxEvents, now, tail}` with the body's bytes transferred. Out: `{id, prepared,
 * tail}`, the `PreparedEvents` with its buffers (leaves, ends, hashes) transferred, not cloned,
 * and when asked (someone is tailing) each event's JSON text for the live tail; without
 * a spec `{id, json, count}`, the validated events as the text of one JSON array made of the
 * request's own text (`eventsArrayText`); or `{id, error}`, the LogsealError's fields.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LogsealError } from "../errors.js";
import { type PreparedEvents, Preparer, type PrepareSpec, preparedTransfer } from "../prepare.js";
import { decodeBody, eventsArrayText, parseRequestEvents, prepareRequest } from "./ingest.js";
import { type EventsJson, recordsJson } from "./leaf-json.js";

export interface IngestJob {
  id: number;
  body: Uint8Array;
  maxEvents: number;
  now: number;
  /** Also write each prepared event's JSON text, for the live tail (someone is listening). */
  tail: boolean;
}

/** What the pool starts a worker with. */
export interface IngestWorkerData {
  spec?: PrepareSpec;
}

export type IngestReply =
  | { id: number; prepared: PreparedEvents; tail?: EventsJson }
  | { id: number; json: string; count: number }
  | {
      id: number;
      error: {
        code: string;
        message: string;
        location?: Record<string, unknown>;
        details?: Record<string, unknown>;
      };
    };

const port = parentPort;
if (port !== null) {
  const spec = (workerData as IngestWorkerData | undefined)?.spec;
  const preparer = spec === undefined ? undefined : new Preparer(spec);
  port.on("message", (job: IngestJob) => {
    let reply: IngestReply;
    let transfer: ArrayBuffer[] = [];
    try {
      if (preparer !== undefined) {
        const prepared = prepareRequest(job.body, job.maxEvents, job.now, preparer);
        transfer = preparedTransfer(prepared);
        if (job.tail && !prepared.oversize) {
          const tail = recordsJson(prepared.records, prepared.ends, prepared.count);
          reply = { id: job.id, prepared, tail };
          transfer.push(tail.bytes.buffer as ArrayBuffer, tail.ends.buffer as ArrayBuffer);
        } else reply = { id: job.id, prepared };
      } else {
        const text = decodeBody(job.body);
        const count = parseRequestEvents(text, job.maxEvents, job.now).length;
        reply = { id: job.id, json: eventsArrayText(text, count), count };
      }
    } catch (e) {
      reply =
        e instanceof LogsealError
          ? {
              id: job.id,
              error: {
                code: e.code,
                message: e.message,
                ...(e.location ? { location: { ...e.location } } : {}),
                ...(e.details ? { details: e.details } : {}),
              },
            }
          : { id: job.id, error: { code: "E_INTERNAL", message: String(e) } };
    }
    port.postMessage(reply, transfer);
  });
  port.postMessage({ ready: true });
}
