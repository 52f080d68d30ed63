/**
 * Where request bodies are decoded, split, validated and prepared (src/prepare.ts: masking,
 * controls, leaf encoding and hashes): in worker threads when they start (the built package),
 * else on the main thread (TypeScript sources without a loader in the workers, as under vitest,
 * or `workers: 0`).
 *
 * The main thread then only appends what the workers prepared (`Log.appendPrepared`, the
 * buffers transferred, not copied) and answers. A log with a transform that has no pure part
 * (no `portable()`) gets validated events instead, as the JSON of the request's own text, for
 * `Log.append`. Why off the main thread (measured on this machine before the prepare moved
 * here, per event: scan and parse 12 µs, validate 14 µs, Log.append in batches of 1000 34 µs,
 * load 12): on two cores the checks of a request cost about as much as its append, and the
 * main thread is the single writer.
 */
import { Worker } from "node:worker_threads";
import { type ErrorCode, LogsealError } from "../errors.js";
import type { EventInput } from "../event/index.js";
import { type PreparedEvents, Preparer, type PrepareSpec } from "../prepare.js";
import { decodeBody, parseRequestEvents, prepareRequest } from "./ingest.js";
import type { IngestJob, IngestReply, IngestWorkerData } from "./ingest-worker.js";
import type { EventsJson } from "./leaf-json.js";

const here = import.meta.url;

/**
 * A request's events: prepared for `Log.appendPrepared`, or validated for `Log.append`; and,
 * when asked for and a worker prepared them, each event's JSON text for the live tail.
 */
export interface Ingested {
  events: PreparedEvents | EventInput[];
  tail?: EventsJson;
}

interface Pending {
  resolve: (ingested: Ingested) => void;
  reject: (e: unknown) => void;
}

class Slot {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  broken = false;

  constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (m: IngestReply | { ready: true }) => {
      if ("ready" in m) return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if ("prepared" in m) {
        p.resolve(
          m.tail === undefined ? { events: m.prepared } : { events: m.prepared, tail: m.tail },
        );
      } else if ("json" in m) {
        const events = JSON.parse(m.json) as EventInput[];
        // The worker counted what it validated: anything else is a bug, never half a request.
        if (events.length === m.count) p.resolve({ events });
        else p.reject(new Error(`ingest worker: ${events.length} events for ${m.count}`));
      } else {
        const { code, message, location, details } = m.error;
        p.reject(
          code === "E_INTERNAL"
            ? new Error(message)
            : new LogsealError(code as ErrorCode, message, {
                ...(location ? { location } : {}),
                ...(details ? { details } : {}),
              }),
        );
      }
    });
    const fail = (e: unknown) => {
      this.broken = true;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`ingest worker exited with code ${code}`)));
  }
}

export class IngestPool {
  readonly #slots: Slot[] = [];
  readonly #preparer: Preparer | undefined;
  #next = 0;
  #id = 0;

  /**
   * @param workers threads to start; none when running from TypeScript sources
   * @param spec the log's `prepareSpec()`: requests are then prepared for `Log.appendPrepared`
   *   (in the workers, else on this thread); without one they are only validated
   */
  constructor(workers: number, spec?: PrepareSpec) {
    this.#preparer = spec === undefined ? undefined : new Preparer(spec);
    if (here.endsWith(".ts")) return;
    const workerData: IngestWorkerData = spec === undefined ? {} : { spec };
    for (let i = 0; i < workers; i++) {
      try {
        const worker = new Worker(new URL("./ingest-worker.js", here), { workerData });
        worker.unref();
        this.#slots.push(new Slot(worker));
      } catch {
        break;
      }
    }
  }

  /** Worker threads in use (0: inline). */
  get threads(): number {
    return this.#slots.filter((s) => !s.broken).length;
  }

  /**
   * The events of a request body, in order: prepared, stamped `now`, when the pool has the
   * log's spec; else validated.
   * @param tail have a worker also write each prepared event's JSON for the live tail (the
   *   writer's thread then only copies it; on this thread it is not written ahead)
   * @throws LogsealError as `parseRequestEvents` (then as `Log.append` on the same values), and
   *   E_INPUT_JSON for a body that is not UTF-8
   */
  parse(body: Buffer, maxEvents: number, now: number, tail = false): Promise<Ingested> {
    const live = this.#slots.filter((s) => !s.broken);
    if (live.length === 0) {
      try {
        return Promise.resolve({
          events:
            this.#preparer === undefined
              ? parseRequestEvents(decodeBody(body), maxEvents, now)
              : prepareRequest(body, maxEvents, now, this.#preparer),
        });
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // The least busy worker, round robin among equals.
    let slot = live[this.#next++ % live.length] as Slot;
    for (const s of live) if (s.pending.size < slot.pending.size) slot = s;
    const id = ++this.#id;
    // Transfer a buffer of its own; socket chunks share a pooled buffer and are copied first.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    const bytes = own ? new Uint8Array(body.buffer, 0, body.length) : new Uint8Array(body);
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const job: IngestJob = { id, body: bytes, maxEvents, now, tail };
      slot.worker.postMessage(job, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
