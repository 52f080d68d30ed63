/**
 * An ingest worker thread: decodes, splits and validates request bodies off the main thread
 * (ingest-pool.ts). In: `{id, body, maxEvents, now}` with the body's bytes transferred. Out:
 * `{id, json}`, the validated events as one JSON array, or `{id, error}`, the LogsealError's
 * fields. JSON is the cheapest way back (measured: JSON.parse on the main thread costs about a
 * quarter of deserialising a structured clone of the same events).
 */
import { parentPort } from "node:worker_threads";
import { LogsealError } from "../errors.js";
import { decodeBody, parseRequestEvents } from "./ingest.js";

export interface IngestJob {
  id: number;
  body: Uint8Array;
  maxEvents: number;
  now: number;
}

export type IngestReply =
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
  port.on("message", (job: IngestJob) => {
    let reply: IngestReply;
    try {
      const events = parseRequestEvents(decodeBody(job.body), job.maxEvents, job.now);
      reply = { id: job.id, json: JSON.stringify(events), count: events.length };
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
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
