/**
 * The server load benchmark: `logseal serve` (the built CLI, a child process) on 127.0.0.1 over
 * a fresh store in a temp directory, loaded with autocannon or wrk, watched by one live-tail
 * subscriber, then killed with SIGKILL mid-load and restarted.
 *
 *   npm run bench:serve -- [--duration S] [--load autocannon|wrk] [--connections C] [--events N] [--tail all|none]
 *                          [--crash S] [--baseline S] [--sync] [--ingest-workers N] [--node-flags F] [--cpu-prof DIR]
 *                          [--json]
 *
 *   --duration S     seconds of load on POST /v1/events (default 60, at most 600)
 *   --load L         the load generator: autocannon (default; from npm, runs in this process) or
 *                    wrk (Debian's `wrk`, a C program driven by bench/serve-load.lua; a second,
 *                    independent load generator: measured, 1.5-1.7 ms of CPU per 1,000 events
 *                    against autocannon's 2.2 on a quiet machine)
 *   --connections C  connections, one request in flight each (default 16, at most 256)
 *   --events N       events per request (default 100, at most 10000)
 *   --tail all|none  one subscriber on GET /v1/stream receiving every event (default all)
 *   --crash S        seconds of load before the SIGKILL in the crash phase (default 3; 0 skips it)
 *   --baseline S     seconds of Log.append alone on the same events and hooks, in batches of the
 *                    server's mean group commit (default min(duration, 15); 0 skips it)
 *   --sync           run `logseal serve --sync` (fsync each group commit)
 *   --ingest-workers N  the server's parsing threads (`logseal serve --ingest-workers`)
 *   --node-flags F   V8/Node flags for the server process (space-separated)
 *   --cpu-prof DIR   write the server's CPU profiles (main thread and ingest workers) to DIR
 *   --json           one JSON object on stdout instead of the table
 *
 * Phases:
 *  1. load: autocannon (or wrk) POSTs N events per request (NDJSON, demo events with unique ids, `ts` set
 *     when the body is built) for S seconds; reports events/s acknowledged, request latency
 *     p50/p99 and every error, non-2xx answer and timeout. The subscriber (its own process)
 *     records, per event, now − ts (from the producer building the request to delivery) and
 *     now − at (from the group commit to delivery).
 *  2. baseline: `Log.append` in this process on a fresh store with the same hooks, on the same
 *     events, in batches of the server's mean group commit (read from its /metrics); the
 *     server's rate over this one is its overhead ratio. The server's CPU seconds (/proc) and
 *     the group-commit figures of its /metrics are reported with the load.
 *  3. crash: C writers POST with their own fetch loop and record each id the server
 *     acknowledged; after --crash seconds the server gets SIGKILL. The store is then opened
 *     directly: every acknowledged id must be present, and `verifyLog` must pass. Then a new
 *     server is started on the store, serves `/healthz` and the log size, and stops on SIGTERM.
 *
 * Needs `npm run build` first (it runs dist/cli/main.js). Loopback only; the run is bounded by
 * --duration plus about 20 s. Exit code 1 when an acknowledged event is missing, verification
 * fails, or the load saw errors.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createToken,
  demoScenario,
  init,
  LogClient,
  open,
  parseVkey,
  verifyLog,
} from "../src/index.js";

const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

// --- the subscriber process --------------------------------------------------------------

/** Counts of whole-ms latencies, 0 ms to 10 min (beyond: in the last bin, and `max`). */
class Latencies {
  readonly #bins = new Uint32Array(600_001);
  count = 0;
  #max = Number.NEGATIVE_INFINITY;

  add(ms: number): void {
    const bin = Math.max(0, Math.min(ms, 600_000));
    this.#bins[bin] = (this.#bins[bin] as number) + 1;
    this.count++;
    if (ms > this.#max) this.#max = ms;
  }

  summary(): { p50: number; p99: number; max: number } {
    return { p50: this.#quantile(0.5), p99: this.#quantile(0.99), max: this.#max };
  }

  /** The value of the sample at rank floor(q × count) (0-based), as the sorted array gave it. */
  #quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(this.count - 1, Math.floor(q * this.count));
    let seen = 0;
    for (let ms = 0; ms < this.#bins.length; ms++) {
      seen += this.#bins[ms] as number;
      if (seen > rank) return ms;
    }
    return this.#max;
  }
}

if (process.argv[2] === "--subscriber") {
  await subscriber(process.argv[3] as string, process.env.LOGSEAL_TOKEN as string);
  process.exit(0);
}

/**
 * Receives every event until stdin closes, then prints its latency summary as JSON. The
 * latencies (whole ms, as Date.now gives them) are counted in histograms, not kept one by one:
 * a 60 s run delivers millions of events, and arrays of millions of samples grown as they come
 * cost the subscriber major collections (pauses in what it measures).
 */
async function subscriber(url: string, token: string): Promise<void> {
  const fromTs = new Latencies();
  const fromAt = new Latencies();
  const abort = new AbortController();
  process.stdin.on("end", () => abort.abort()).resume();
  const client = new LogClient(url, { token });
  process.stdout.write("ready\n");
  try {
    // A batch is every entry of one network chunk: all were delivered at the same moment.
    for await (const batch of client.streamBatches({ signal: abort.signal })) {
      const now = Date.now();
      for (const { event } of batch) {
        fromTs.add(now - event.ts);
        fromAt.add(now - event.at);
      }
    }
  } catch {
    // aborted
  }
  process.stdout.write(
    `${JSON.stringify({ events: fromTs.count, fromTs: fromTs.summary(), fromAt: fromAt.summary() })}\n`,
  );
}

// --- the driver --------------------------------------------------------------------------

interface AutocannonResult {
  duration: number;
  latency: { p50: number; p99: number; average: number; max: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, result: AutocannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
function bounded(name: string, fallback: number, min: number, max: number): number {
  const v = Number(option(name, String(fallback)));
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`--${name} must be an integer in ${min}..${max}`);
  }
  return v;
}

const duration = bounded("duration", 60, 1, 600);
const connections = bounded("connections", 16, 1, 256);
const perRequest = bounded("events", 100, 1, 10_000);
const crashAfter = bounded("crash", 3, 0, 60);
const baselineSeconds = bounded("baseline", Math.min(duration, 15), 0, 600);
const tail = option("tail", "all");
const cpuProf = option("cpu-prof", "");
const loadGenerator = option("load", "autocannon");
if (loadGenerator !== "autocannon" && loadGenerator !== "wrk") {
  throw new Error("--load must be autocannon or wrk");
}
const nodeFlags = option("node-flags", "");
const sync = process.argv.includes("--sync");
const workers = option("ingest-workers", "");
const asJson = process.argv.includes("--json");
if (tail !== "all" && tail !== "none") throw new Error("--tail must be all or none");
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first`);

const progress = (s: string) => process.stderr.write(`${s}\n`);

/** Event templates without `id` and `ts`: `{"id":…,"ts":…,` + template. */
const templates = demoScenario({ days: 4 })
  .flatMap((d) => d.events)
  .map((e) => {
    const { id: _id, ts: _ts, ...rest } = e as Record<string, unknown>;
    return JSON.stringify(rest).slice(1);
  });
let seq = 0;
function body(prefix: string): string {
  const ts = Date.now();
  let s = "";
  for (let i = 0; i < perRequest; i++) {
    const n = seq++;
    s += `{"id":"${prefix}-${n}","ts":${ts},${templates[n % templates.length]}\n`;
  }
  return s;
}

interface Served {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

function serve(store: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      ...(cpuProf === "" ? [] : ["--cpu-prof", "--cpu-prof-dir", cpuProf]),
      ...(nodeFlags === "" ? [] : nodeFlags.split(" ")),
      MAIN,
      "serve",
      ...(sync ? ["--sync"] : []),
      ...(workers === "" ? [] : ["--ingest-workers", workers]),
      "--store",
      store,
      "--listen",
      "127.0.0.1:0",
      "--json",
      "--rate-limit",
      "1000000",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0)
        resolve({ child, url: (JSON.parse(out.slice(0, nl)) as { url: string }).url, exited });
    });
    void exited.then((code) => reject(new Error(`logseal serve exited with ${code}`)));
  });
}

/** The load phase's result, and the load generator's CPU seconds when it is another process. */
type LoadResult = AutocannonResult & { generatorCpu?: number };

function load(url: string, token: string, seconds: number): Promise<LoadResult> {
  return loadGenerator === "wrk"
    ? loadWrk(url, token, seconds)
    : loadAutocannon(url, token, seconds);
}

/**
 * wrk, under `/usr/bin/time` for its CPU, with bench/serve-load.lua building the same bodies as
 * `body()`: the templates go to a file, the ids get a prefix of their own per run.
 */
async function loadWrk(url: string, token: string, seconds: number): Promise<LoadResult> {
  const templatesFile = join(dir, "templates.ndjson");
  const timeFile = join(dir, "wrk.time");
  await writeFile(templatesFile, `${templates.join("\n")}\n`);
  const lua = fileURLToPath(new URL("./serve-load.lua", import.meta.url));
  const prefix = `wrk${wrkRuns++}`;
  const args = ["-f", "%U %S", "-o", timeFile, "wrk", "-t", "1", "-c", String(connections)];
  args.push("-d", `${seconds}s`, "--timeout", "10s", "-s", lua, `${url}/v1/events`);
  args.push("--", templatesFile, String(perRequest), prefix, token);
  const child = spawn("/usr/bin/time", args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}): ${out}`);
  const w = JSON.parse(line) as Record<string, number>;
  const n = (k: string) => w[k] as number;
  const [user, sys] = (await readFile(timeFile, "utf8")).trim().split(/\s+/).map(Number);
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    duration: n("durationUs") / 1e6,
    latency: {
      p50: ms(n("p50Us")),
      p99: ms(n("p99Us")),
      average: ms(n("meanUs")),
      max: ms(n("maxUs")),
    },
    requests: { average: n("requests") / (n("durationUs") / 1e6), total: n("requests") },
    errors: n("connect") + n("read") + n("write"),
    timeouts: n("timeout"),
    non2xx: n("status"),
    "2xx": n("requests") - n("status"),
    generatorCpu: (user as number) + (sys as number),
  };
}
let wrkRuns = 0;

function loadAutocannon(url: string, token: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/events`,
        method: "POST",
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" },
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              req.body = body("load");
              return req;
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of each thread of a process so far, by thread id, with its name (Linux). */
function threadCpu(pid: number): Map<number, { name: string; s: number }> {
  const out = new Map<number, { name: string; s: number }>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(Number(tid), { name, s: (Number(f[11]) + Number(f[12])) / 100 });
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux, or the process ended
  }
  return out;
}

/**
 * What each thread of the server used between two {@link threadCpu} samples: the main thread
 * (the single writer) first, then the others, busiest first (all named `node`: the ingest
 * workers, V8's platform threads, libuv's pool where LevelDB works).
 */
function threadShares(
  pid: number,
  before: Map<number, { name: string; s: number }>,
  after: Map<number, { name: string; s: number }>,
): Array<{ thread: string; cpuSeconds: number }> {
  const byName = new Map<string, number>();
  let main = 0;
  for (const [tid, a] of after) {
    const used = a.s - (before.get(tid)?.s ?? 0);
    if (tid === pid) main = used;
    else if (used > 0) byName.set(`${a.name}:${tid}`, used);
  }
  const rest = [...byName].sort((x, y) => y[1] - x[1]);
  return [["main", main] as [string, number], ...rest]
    .filter(([, v]) => v > 0)
    .map(([thread, v]) => ({ thread, cpuSeconds: Math.round(v * 100) / 100 }));
}

/** A sample of the server's Prometheus text: `name` without labels, or undefined. */
function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** The mean of a histogram in ms, to 0.1 ms (0 without observations). */
const ms = (sum: number, n: number): number => (n === 0 ? 0 : Math.round((sum / n) * 10_000) / 10);

/** What the server's own metrics say about the load phase (scraped before and after it). */
function committerStats(before: string, after: string, seconds: number) {
  const d = (name: string) => (metric(after, name) ?? 0) - (metric(before, name) ?? 0);
  const batches = d("logseal_append_batch_events_count");
  return {
    batches,
    meanBatchEvents: batches === 0 ? 0 : Math.round(d("logseal_append_batch_events_sum") / batches),
    meanBatchRequests:
      batches === 0 ? 0 : Math.round((d("logseal_append_batch_requests_sum") / batches) * 10) / 10,
    meanBatchMs:
      batches === 0
        ? 0
        : Math.round((d("logseal_append_batch_duration_seconds_sum") / batches) * 10_000) / 10,
    /** Mean ms from a request's body read to its events prepared (the ingest stage). */
    meanIngestMs: ms(
      d("logseal_ingest_duration_seconds_sum"),
      d("logseal_ingest_duration_seconds_count"),
    ),
    /** Mean ms from a request's events queued to their acknowledgement (queue and commit). */
    meanQueuedMs: ms(
      d("logseal_append_latency_seconds_sum"),
      d("logseal_append_latency_seconds_count"),
    ),
    /**
     * The time appends were in flight (called, not yet durable), summed, over the wall time:
     * above 1 when the committer pipelines (one prepared while the one before is written).
     */
    committerBusy:
      Math.round((d("logseal_append_batch_duration_seconds_sum") / seconds) * 100) / 100,
  };
}

/**
 * `Log.append` alone on the same events and hooks (a fresh store made by `init`, which
 * registers what `logseal serve` runs: masking, controls, the lineage and query indexes), in
 * batches of the server's mean group commit, for `seconds`; events are parsed from the same
 * NDJSON bodies outside the timed calls. The server's overhead is its rate over this one.
 */
async function baseline(dir: string, batch: number, seconds: number) {
  const log = await init(join(dir, "baseline"), { origin: "example.com/logseal/bench-base" });
  let events = 0;
  let busy = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  try {
    while (performance.now() < end) {
      const values: unknown[] = [];
      while (values.length < batch) {
        for (const line of body("base").split("\n")) if (line !== "") values.push(JSON.parse(line));
      }
      values.length = batch;
      const t0 = performance.now();
      await log.append(values);
      busy += performance.now() - t0;
      events += batch;
    }
  } finally {
    await log.close();
  }
  // The whole process: LevelDB's threads too, and the parsing of the events (not timed above).
  const cpu = process.cpuUsage(cpu0);
  return {
    batch,
    events,
    seconds: Math.round(busy) / 1000,
    eventsPerSecond: Math.round(events / (busy / 1000)),
    cpuMsPer1000Events: Math.round(((cpu.user + cpu.system) / 1e3 / events) * 1000 * 10) / 10,
  };
}

const dir = await mkdtemp(join(tmpdir(), "logseal-bench-serve-"));
const store = join(dir, "store");
const loadAvgAtStart = loadavg();
let failed = false;
try {
  const log = await init(store, { origin: "example.com/logseal/bench-serve" });
  const writer = (await createToken(log.store, { name: "bench-writer", role: "writer" })).token;
  const viewer = (await createToken(log.store, { name: "bench-viewer", role: "viewer" })).token;
  const vkey = log.vkey;
  await log.close();

  // 1. load
  let server = await serve(store);
  progress(`server at ${server.url}; warming up 2 s`);
  await load(server.url, writer, 2);
  let sub: ChildProcess | undefined;
  let subOut = "";
  if (tail === "all") {
    sub = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--subscriber", server.url],
      {
        stdio: ["pipe", "pipe", "inherit"],
        env: { ...process.env, LOGSEAL_TOKEN: viewer },
      },
    );
    sub.stdout?.setEncoding("utf8").on("data", (d: string) => (subOut += d));
    while (!subOut.includes("ready\n")) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
  }
  progress(
    `load: ${loadGenerator}, ${duration} s, ${connections} connections, ${perRequest} events per request`,
  );
  const scrape = async () =>
    (
      await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${viewer}` } })
    ).text();
  const metricsBefore = await scrape();
  const serverCpu0 = cpuSeconds(server.child.pid as number);
  const threads0 = threadCpu(server.child.pid as number);
  const driverCpu0 = process.cpuUsage();
  const subCpu0 = sub === undefined ? 0 : cpuSeconds(sub.pid as number);
  const r = await load(server.url, writer, duration);
  const serverCpu = cpuSeconds(server.child.pid as number) - serverCpu0;
  /** The live-tail subscriber's CPU seconds during the load: it shares the two cores too. */
  const subscriberCpu = sub === undefined ? 0 : cpuSeconds(sub.pid as number) - subCpu0;
  const threads = threadShares(
    server.child.pid as number,
    threads0,
    threadCpu(server.child.pid as number),
  );
  const driverCpu0End = process.cpuUsage(driverCpu0);
  const driverCpu = (r.generatorCpu ?? 0) + (driverCpu0End.user + driverCpu0End.system) / 1e6;
  const committer = committerStats(metricsBefore, await scrape(), r.duration);
  let tailResult: {
    events: number;
    fromTs: ReturnType<Latencies["summary"]>;
    fromAt: ReturnType<Latencies["summary"]>;
    cpuSeconds?: number;
  } | null = null;
  if (sub !== undefined) {
    await new Promise((res) => setTimeout(res, 500));
    const done = new Promise((res) => sub?.on("exit", res));
    sub.stdin?.end();
    await done;
    tailResult = JSON.parse(
      subOut
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .at(-1) ?? "null",
    );
    if (tailResult !== null) tailResult.cpuSeconds = Math.round(subscriberCpu * 10) / 10;
  }
  const acked = r["2xx"] * perRequest;
  const sizeAfterLoad = (await new LogClient(server.url, { token: viewer }).info()).size;
  const loadResult = {
    seconds: r.duration,
    requests: r.requests.total,
    eventsAcknowledged: acked,
    eventsPerSecond: Math.round(acked / r.duration),
    latencyMs: {
      p50: r.latency.p50,
      p99: r.latency.p99,
      mean: r.latency.average,
      max: r.latency.max,
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    treeSize: sizeAfterLoad,
    committer,
    loadGenerator,
    /** CPU seconds of the server process (all threads) and of the load generator (autocannon in
     * this driver, or wrk and this driver). */
    cpu: {
      server: Math.round(serverCpu * 10) / 10,
      loadGenerator: Math.round(driverCpu * 10) / 10,
      serverMsPer1000Events: Math.round((serverCpu / acked) * 1e6 * 10) / 10,
      /** The server's threads: the main thread (its busy share is cpuSeconds / seconds). */
      threads,
    },
  };
  if (r.errors + r.timeouts + r.non2xx > 0) failed = true;

  // 2. the same events through Log.append alone (the server is idle meanwhile)
  let base: Awaited<ReturnType<typeof baseline>> | null = null;
  if (baselineSeconds > 0 && committer.meanBatchEvents > 0) {
    progress(
      `baseline: Log.append in batches of ${committer.meanBatchEvents} for ${baselineSeconds} s`,
    );
    base = await baseline(dir, committer.meanBatchEvents, baselineSeconds);
  }

  // 3. crash
  let crash: Record<string, unknown> | null = null;
  if (crashAfter > 0) {
    progress(`crash: ${connections} writers for ${crashAfter} s, then SIGKILL`);
    const ackedIds: string[] = [];
    let stop = false;
    let round = 0;
    const loop = async (w: number) => {
      while (!stop) {
        const text = body(`crash-${w}-${round++}`);
        const ids = [...text.matchAll(/^\{"id":"([^"]+)"/gm)].map((m) => m[1] as string);
        try {
          const res = await fetch(`${server.url}/v1/events`, {
            method: "POST",
            headers: { Authorization: `Bearer ${writer}`, "Content-Type": "application/x-ndjson" },
            body: text,
          });
          await res.arrayBuffer();
          if (res.status === 200) ackedIds.push(...ids);
        } catch {
          return;
        }
      }
    };
    const loops = Array.from({ length: connections }, (_, w) => loop(w));
    await new Promise((res) => setTimeout(res, crashAfter * 1000));
    server.child.kill("SIGKILL");
    await server.exited;
    stop = true;
    await Promise.all(loops);
    const reopened = await open(store);
    let missing = 0;
    let verified = false;
    let size = 0;
    const t0 = performance.now();
    try {
      size = reopened.size;
      for (let i = 0; i < ackedIds.length; i += 10_000) {
        const found = await reopened.store.lookupIds(ackedIds.slice(i, i + 10_000));
        missing += found.filter((x) => x === undefined).length;
      }
      verified = (await verifyLog(reopened.store, { keys: [parseVkey(vkey)] })).ok;
    } finally {
      await reopened.close();
    }
    const verifySeconds = (performance.now() - t0) / 1000;
    server = await serve(store);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    const info = await new LogClient(server.url, { token: viewer }).info();
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    crash = {
      acknowledged: ackedIds.length,
      missing,
      treeSize: size,
      verified,
      verifySeconds: Math.round(verifySeconds * 10) / 10,
      restart: { healthy: (health as { ok: boolean }).ok, size: info.size, exit },
    };
    if (missing > 0 || !verified || info.size !== size || exit !== 0) failed = true;
  } else {
    server.child.kill("SIGTERM");
    await server.exited;
  }

  const result = {
    bench: "serve",
    date: new Date().toISOString(),
    command: `npm run bench:serve -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: {
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      loadAvgAtStart: loadAvgAtStart.map((x) => Math.round(x * 100) / 100),
    },
    params: { duration, connections, eventsPerRequest: perRequest, tail, crashAfter },
    load: loadResult,
    baseline: base,
    serverOverRawAppend:
      base === null
        ? null
        : Math.round((loadResult.eventsPerSecond / base.eventsPerSecond) * 100) / 100,
    tail: tailResult,
    crash,
  };
  if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const l = loadResult;
    console.log(
      `${result.date.slice(0, 10)}, node ${process.version}, ${result.machine.cores} cores (${result.machine.cpu}), load average at start ${result.machine.loadAvgAtStart.join(" ")}`,
    );
    console.log(
      `load: ${l.eventsPerSecond.toLocaleString("en-US")} events/s acknowledged (${l.eventsAcknowledged.toLocaleString("en-US")} in ${l.seconds} s, ${connections} connections × ${perRequest} events)`,
    );
    console.log(
      `      request latency p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms, max ${l.latencyMs.max} ms; errors ${l.errors}, timeouts ${l.timeouts}, non-2xx ${l.non2xx}`,
    );
    const c = l.committer;
    console.log(
      `      group commits: ${c.batches}, mean ${c.meanBatchEvents} events (${c.meanBatchRequests} requests) in ${c.meanBatchMs} ms; appends in flight ${Math.round(c.committerBusy * 100)}% of the time (summed: two overlap when pipelined)`,
    );
    console.log(
      `      a request's stages (means): ingest ${c.meanIngestMs} ms (read to prepared, worker queue included), then ${c.meanQueuedMs} ms queued and committed`,
    );
    console.log(
      `      CPU: server ${l.cpu.server} s (${l.cpu.serverMsPer1000Events} ms per 1,000 events), load generator (${l.loadGenerator}) ${l.cpu.loadGenerator} s`,
    );
    console.log(
      `      server threads (CPU s; µs an event): ${l.cpu.threads
        .slice(0, 6)
        .map(
          (t) =>
            `${t.thread} ${t.cpuSeconds} (${Math.round((t.cpuSeconds / acked) * 1e7) / 10}${t.thread === "main" ? `, busy ${Math.round((t.cpuSeconds / l.seconds) * 100)}%` : ""})`,
        )
        .join(", ")}`,
    );
    if (base) {
      console.log(
        `baseline: Log.append alone, same events and hooks, batches of ${base.batch}: ${base.eventsPerSecond.toLocaleString("en-US")} events/s, ${base.cpuMsPer1000Events} CPU ms per 1,000 events; the server ingests ${Math.round((result.serverOverRawAppend as number) * 100)}% of that rate`,
      );
    }
    if (tailResult) {
      console.log(
        `tail: ${tailResult.events.toLocaleString("en-US")} events delivered; from request built p50 ${tailResult.fromTs.p50} ms, p99 ${tailResult.fromTs.p99} ms; from commit p50 ${tailResult.fromAt.p50} ms, p99 ${tailResult.fromAt.p99} ms; the subscriber's CPU ${tailResult.cpuSeconds} s`,
      );
    }
    if (crash) {
      console.log(
        `crash: SIGKILL after ${crashAfter} s: ${crash.acknowledged} acknowledged, ${crash.missing} missing; tree size ${crash.treeSize}; verifyLog ${crash.verified ? "ok" : "FAILED"} (${crash.verifySeconds} s); restart healthy=${(crash.restart as { healthy: boolean }).healthy}`,
      );
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
