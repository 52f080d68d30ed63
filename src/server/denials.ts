/**
 * Every denied request (401, 403) becomes an `access.denied` event in the log:
 *
 *   {"v":1,"ts":…,"actor":{"id":"<token name or anonymous>"},"action":"access.denied",
 *    "outcome":"denied","controls":["A.8.5"],
 *    "details":{"status":401,"method":"GET","path":"/v1/events","reason":"unknown token",
 *               "remote":"127.0.0.1","suppressed":0}}
 *
 * A flood of denials must not flood the log: the events pass a token bucket (default 10 per
 * second, bursts of 50). A denial that finds the bucket empty is counted, not written; the next
 * event written carries that count in `details.suppressed`, and a pending count is written as
 * one summary event at the latest on the next tick (every checkpoint interval) and at shutdown.
 * So the log holds every denial, individually up to the rate and as a count beyond it, and
 * denials can add at most `burst + rate × seconds` events. The denial events are appended
 * without waiting: the 401 or 403 is answered at once.
 */
import { type EventInput, validateEvent } from "../event/index.js";
import type { GroupCommitter } from "./committer.js";
import type { ServerMetrics } from "./metrics.js";
import { type RateLimit, TokenBucket } from "./rate-limit.js";

export interface Denial {
  status: 401 | 403;
  /** The token's name, when the token is known (also for a revoked one). */
  actor: string | undefined;
  method: string;
  path: string;
  reason: string;
  remote: string;
}

/** The Annex A control a denial evidences: A.8.5 secure authentication, A.8.3 access restriction. */
const CONTROL = { 401: "A.8.5", 403: "A.8.3" } as const;

export class DenialRecorder {
  readonly #committer: GroupCommitter;
  readonly #metrics: ServerMetrics;
  readonly #bucket: TokenBucket;
  #suppressed = 0;
  #last: Denial | undefined;

  constructor(committer: GroupCommitter, metrics: ServerMetrics, limit: RateLimit) {
    this.#committer = committer;
    this.#metrics = metrics;
    this.#bucket = new TokenBucket(limit);
  }

  record(d: Denial): void {
    this.#metrics.denials.inc({ status: String(d.status), reason: d.reason });
    if (this.#bucket.take() > 0) {
      this.#suppressed++;
      this.#last = d;
      this.#metrics.denialsSuppressed.inc();
      return;
    }
    this.#write(d, this.#suppressed);
  }

  /** Writes a summary of the denials not yet logged, if any. */
  flush(): void {
    if (this.#suppressed === 0 || this.#last === undefined) return;
    if (this.#bucket.take() > 0) return;
    this.#write(
      { ...this.#last, reason: `${this.#last.reason} (and others, rate-limited)` },
      this.#suppressed - 1,
    );
  }

  /** Writes what is pending regardless of the rate (at shutdown). */
  flushNow(): Promise<unknown> {
    if (this.#suppressed === 0 || this.#last === undefined) return Promise.resolve();
    return this.#write(
      { ...this.#last, reason: `${this.#last.reason} (and others, rate-limited)` },
      this.#suppressed - 1,
    );
  }

  #write(d: Denial, suppressed: number): Promise<unknown> {
    this.#suppressed = 0;
    this.#last = undefined;
    const event: EventInput = {
      v: 1,
      ts: Date.now(),
      actor: { id: d.actor ?? "anonymous" },
      action: "access.denied",
      outcome: "denied",
      controls: [CONTROL[d.status]],
      details: {
        status: d.status,
        method: d.method.slice(0, 16),
        // Node decodes the request target as latin1: keep printable ASCII only.
        path: d.path.slice(0, 512).replace(/[^\x20-\x7e]/g, "?"),
        reason: d.reason,
        remote: d.remote,
        suppressed,
      },
    };
    let input: EventInput;
    try {
      input = validateEvent(event);
    } catch {
      return Promise.resolve(); // cannot happen: every field is built or sanitised above
    }
    this.#metrics.denialsLogged.inc();
    return this.#committer.submit([input]).catch(() => {
      // Queue full or shutting down: keep the count for the next one.
      this.#metrics.denialsLogged.inc(undefined, -1);
      this.#suppressed += suppressed + 1;
      this.#last = d;
    });
  }
}
