/**
 * The server's metrics in the Prometheus text exposition format (version 0.0.4): counters,
 * gauges and histograms with fixed buckets, no dependencies.
 *
 *   # HELP logseal_events_appended_total Events appended to the log.
 *   # TYPE logseal_events_appended_total counter
 *   logseal_events_appended_total 1200
 */

type Labels = Record<string, string>;

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`,
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

interface Metric {
  render(out: string[]): void;
}

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels?: Labels, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  value(labels?: Labels): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    if (this.#values.size === 0) out.push(`${this.name} 0`);
    for (const [labels, v] of this.#values) out.push(`${this.name}${labels} ${num(v)}`);
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => number,
  ) {}

  render(out: string[]): void {
    out.push(
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${num(this.read())}`,
    );
  }
}

export class Histogram implements Metric {
  readonly #bounds: number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
  ) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    this.#counts = this.#bounds.map(() => 0);
  }

  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    for (let i = 0; i < this.#bounds.length; i++) {
      if (v <= (this.#bounds[i] as number)) {
        this.#counts[i] = (this.#counts[i] as number) + 1;
        break;
      }
    }
  }

  get count(): number {
    return this.#count;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i] as number;
      out.push(`${this.name}_bucket{le="${num(this.#bounds[i] as number)}"} ${cumulative}`);
    }
    out.push(
      `${this.name}_bucket{le="+Inf"} ${this.#count}`,
      `${this.name}_sum ${num(this.#sum)}`,
      `${this.name}_count ${this.#count}`,
    );
  }
}

/** Everything the server counts. Gauges read live state through the callbacks given. */
export class ServerMetrics {
  readonly requests = new Counter(
    "logseal_http_requests_total",
    "HTTP requests answered, by route and status code.",
  );
  readonly appendRequests = new Counter(
    "logseal_append_requests_total",
    "POST /v1/events requests acknowledged (events durable).",
  );
  readonly eventsAppended = new Counter(
    "logseal_events_appended_total",
    "Events appended to the log (duplicates by id not counted).",
  );
  readonly duplicates = new Counter(
    "logseal_events_duplicate_total",
    "Events not appended because their id was already in the log.",
  );
  readonly batches = new Counter(
    "logseal_append_batches_total",
    "Group commits: atomic LevelDB writes of one or more requests.",
  );
  readonly batchEvents = new Histogram(
    "logseal_append_batch_events",
    "Events per group commit.",
    [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000],
  );
  readonly batchRequests = new Histogram(
    "logseal_append_batch_requests",
    "Requests per group commit.",
    [1, 2, 5, 10, 20, 50, 100, 200, 500],
  );
  readonly appendLatency = new Histogram(
    "logseal_append_latency_seconds",
    "From a request's events joining the write queue to their acknowledgement (durable).",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly ingestDuration = new Histogram(
    "logseal_ingest_duration_seconds",
    "From a request's body read to its events parsed, validated and prepared (the ingest workers' queue included).",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly batchDuration = new Histogram(
    "logseal_append_batch_duration_seconds",
    "Time to write one group commit (Log.append).",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly appendFailures = new Counter(
    "logseal_append_failures_total",
    "Append requests that failed after joining the queue, by error code.",
  );
  readonly checkpoints = new Counter(
    "logseal_checkpoints_signed_total",
    "Checkpoints signed by this server, by trigger (interval, request, shutdown).",
  );
  readonly denials = new Counter(
    "logseal_denials_total",
    "Requests denied (401, 403), by status and reason.",
  );
  readonly denialsLogged = new Counter(
    "logseal_denials_logged_total",
    "access.denied events appended to the log.",
  );
  readonly denialsSuppressed = new Counter(
    "logseal_denials_suppressed_total",
    "Denials not logged one by one because of the denial log rate limit (counted in the next logged event).",
  );
  readonly rateLimited = new Counter(
    "logseal_rate_limited_total",
    "Requests refused with 429 by the per-token rate limit.",
  );
  readonly backPressure = new Counter(
    "logseal_backpressure_total",
    "Append requests refused with 503 because the write queue was full.",
  );
  readonly streamEvents = new Counter(
    "logseal_stream_events_total",
    "Events sent to live-tail subscribers.",
  );
  readonly streamDropped = new Counter(
    "logseal_stream_dropped_total",
    "Live-tail subscribers disconnected for reading too slowly.",
  );
  readonly #gauges: Gauge[];

  constructor(live: {
    treeSize: () => number;
    checkpointSize: () => number;
    checkpointAge: () => number;
    queueEvents: () => number;
    subscribers: () => number;
    inFlight: () => number;
    uptime: () => number;
    ingestThreads: () => number;
  }) {
    this.#gauges = [
      new Gauge("logseal_tree_size", "Entries committed to the log.", live.treeSize),
      new Gauge(
        "logseal_checkpoint_size",
        "Tree size of the latest signed checkpoint (-1 when none).",
        live.checkpointSize,
      ),
      new Gauge(
        "logseal_checkpoint_age_seconds",
        "Seconds since this server last signed a checkpoint (NaN until it signs one).",
        live.checkpointAge,
      ),
      new Gauge(
        "logseal_write_queue_events",
        "Events validated and waiting for a group commit.",
        live.queueEvents,
      ),
      new Gauge("logseal_stream_subscribers", "Open live-tail streams.", live.subscribers),
      new Gauge(
        "logseal_http_requests_in_flight",
        "Requests being served, this scrape included (live-tail streams are counted apart).",
        live.inFlight,
      ),
      new Gauge("logseal_uptime_seconds", "Seconds since the server started.", live.uptime),
      new Gauge(
        "logseal_ingest_threads",
        "Worker threads parsing request bodies (0: parsed on the main thread).",
        live.ingestThreads,
      ),
    ];
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const m of [
      this.requests,
      this.appendRequests,
      this.eventsAppended,
      this.duplicates,
      this.batches,
      this.batchEvents,
      this.batchRequests,
      this.appendLatency,
      this.batchDuration,
      this.ingestDuration,
      this.appendFailures,
      this.checkpoints,
      this.denials,
      this.denialsLogged,
      this.denialsSuppressed,
      this.rateLimited,
      this.backPressure,
      this.streamEvents,
      this.streamDropped,
      ...this.#gauges,
    ] as Metric[]) {
      m.render(out);
    }
    return `${out.join("\n")}\n`;
  }
}
