/**
 * The large-store driver: builds a fresh LevelDB store of N realistic events, then measures the
 * append rate, a full verify after a reopen, inclusion and consistency proof latency, and the
 * store's size on disk.
 *
 *   npm run bench:large -- --events N [--batch B] [--dir D] [--keep] [--proofs K] [--hooks H] [--json]
 *
 *   --events N   events to append (required, ≥ 1)
 *   --batch B    events per `Log.append` call (default 10000)
 *   --dir D      build the store in D (must not hold one) and keep it; default: a temp directory,
 *                removed at the end
 *   --keep       keep the temp directory and print its path
 *   --proofs K   inclusion and consistency proofs to time (default 2000; 0 skips them)
 *   --hooks H    `all` (default): append as the CLI and the server do, with the hooks that init
 *                registers (PII masking, controls, lineage and query indexes); `none`: the core
 *                log alone (a `Log` over the store without hooks); `lineage`: the core log with
 *                the lineage and query indexer alone (issue 4's ratio against `none`)
 *   --json       print one JSON object instead of the table; with `npm run --silent` stdout
 *                then holds only the JSON
 *
 * Events cycle through `demoScenario({ days: 60 })` with unique ids and timestamps shifted by 60
 * days per cycle; each batch is generated on the fly, so memory stays bounded whatever N is. A
 * checkpoint is signed each time the size crosses a multiple of 1,000,000 and once at the end.
 * The store is closed and reopened before verifying; the page cache is then still warm with
 * what the append wrote. Progress goes to stderr, the result to stdout.
 *
 * JSON output (`--json`), one object. Times in seconds or milliseconds as the name says, sizes
 * in bytes; numbers that are not integers are rounded to 4 decimals. Illustrative values, of
 * the size a 100,000-event run gives on a 2-core machine:
 *
 *   {
 *     "bench": "large",
 *     "date": "2026-11-26T07:26:13.768Z",     // when the run ended (ISO 8601, UTC)
 *     "command": "npm run bench:large -- --events 100000 --json",
 *     "machine": {
 *       "node": "v20.20.2", "cpu": "AMD EPYC", // os.cpus()[0].model
 *       "cores": 2, "memoryBytes": 25276026880,
 *       "platform": "linux 6.18.44 x64",       // os.platform() os.release() os.arch()
 *       "loadAvgAtStart": [0.4, 0.9, 1.1]      // os.loadavg() before the run: other work skews it
 *     },
 *     "params": { "events": 100000, "batch": 10000, "proofs": 2000,
 *                 "seed": 1,                   // PRNG seed of the proof indexes
 *                 "dir": "/tmp/logseal-large-…", "kept": false },
 *     "append": {
 *       "events": 100000, "checkpoints": 1,
 *       "seconds": 3.3164,                     // inside Log.append and Log.checkpoint only
 *       "wallSeconds": 3.41,                   // the whole phase, event generation included
 *       "eventsPerSecond": 30153.2,            // events / seconds
 *       "peakRssBytes": 267071488,             // max of process.memoryUsage().rss every 50 ms
 *       "maxRssBytes": 268238848               // process.resourceUsage().maxRSS × 1024, at the end
 *     },
 *     "verify": {                              // verifyLog on the reopened store
 *       "ok": true, "size": 100000, "entries": 100000, "tiles": 394, "checkpoints": 1,
 *       "failures": 0,                         // listed failures + moreFailures
 *       "seconds": 2.8014,                     // verifyLog only, not the reopen
 *       "eventsPerSecond": 35696.4,
 *       "peakRssBytes": 273575936, "maxRssBytes": 273575936,
 *       "pageCache": "warm",                   // always: the append just wrote the files
 *       "reopenSeconds": 0.0712                // open() after close()
 *     },
 *     "inclusion": {                           // log.proveInclusion(i), random i < size
 *       "count": 2000, "size": 100000,         // the latest checkpoint's size
 *       "failures": 0,                         // proofs that checkInclusion rejected
 *       "p50Ms": 1.248, "p90Ms": 2.567, "p99Ms": 7.44, "maxMs": 27.052, "meanMs": 1.61,
 *       "checkMeanMs": 0.021                   // checkInclusion, per proof
 *     },
 *     "consistency": { …the same fields, for log.proveConsistency(from), 1 ≤ from ≤ size,
 *                      checked with checkConsistency… },
 *     "store": {
 *       "diskBytes": 11075584,                 // allocated blocks, as `du -s -B1` counts them
 *       "apparentBytes": 11044762,             // file sizes, as `du -s -B1 --apparent-size`
 *       "bytesPerEvent": 110.76,               // diskBytes / events (LevelDB compresses blocks)
 *       "avgLeafBytes": 308.94                 // mean canonical leaf size, read from the bundles
 *     }
 *   }
 *
 * The proof latencies cover the prover only. Each proof is checked against the root of the
 * latest checkpoint as opened with the log's key, not a root the prover returns; the old root of
 * a consistency proof is the prover's `fromRoot` (a client would hold its own).
 * `inclusion` and `consistency` are `null` with `--proofs 0`.
 *
 * `maxRssBytes` is the process's peak since it started (the kernel keeps one high-water mark),
 * so the verify figure is max(append peak, verify peak); `peakRssBytes` is per phase but can
 * miss a spike shorter than the gaps between samples when the event loop is busy.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { prng } from "../src/demo/random.js";
import {
  checkConsistency,
  checkInclusion,
  demoScenario,
  init,
  Log,
  lineageIndexer,
  open,
  openCheckpoint,
  openStoreForVerify,
  parseEntryBundle,
  parseVkey,
  type Verifier,
  verifyLog,
} from "../src/index.js";

const ORIGIN = "example.com/logseal/bench-large";
const CHECKPOINT_EVERY = 1_000_000;
/** Entries per bundle: the C2SP tlog-tiles tile width. */
const BUNDLE_WIDTH = 256;
const SCENARIO_DAYS = 60;
/** Seed of the PRNG that picks proof indexes, so two runs prove the same entries. */
const SEED = 1;
const PROGRESS_MS = 2_000;

// ---------------------------------------------------------------------------------------------
// Arguments

const USAGE =
  "usage: npm run bench:large -- --events N [--batch B] [--dir D] [--keep] [--proofs K] [--hooks all|none|lineage] [--json]";

function usage(message: string): never {
  process.stderr.write(`bench:large: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function count(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.replaceAll("_", ""));
  if (!/^\d[\d_]*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    usage(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return n;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      events: { type: "string" },
      batch: { type: "string" },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
      proofs: { type: "string" },
      hooks: { type: "string", default: "all" },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
try {
  args = parse();
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
if (args.events === undefined) usage("--events is required");
if (args.hooks !== "all" && args.hooks !== "none" && args.hooks !== "lineage") {
  usage("--hooks must be all, none or lineage");
}
const events = count("events", args.events, 0, 1);
const batch = count("batch", args.batch, 10_000, 1);
const proofs = count("proofs", args.proofs, 2_000, 0);
const keep = args.keep || args.dir !== undefined;

// ---------------------------------------------------------------------------------------------
// Helpers

function progress(line: string): void {
  process.stderr.write(`[large] ${line}\n`);
}

/** Samples `process.memoryUsage().rss` every 50 ms until `stop()`, which returns the peak. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** The process's peak RSS so far, in bytes (`maxRSS` is in KiB). */
function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

interface Latency {
  count: number;
  size: number;
  failures: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  checkMeanMs: number;
}

/** Nearest-rank percentiles of `ms`, which this sorts in place. */
function latency(ms: number[], checkMs: number, size: number, failures: number): Latency {
  ms.sort((a, b) => a - b);
  const rank = (p: number) => ms[Math.max(0, Math.ceil(p * ms.length) - 1)] ?? 0;
  const sum = ms.reduce((s, x) => s + x, 0);
  return {
    count: ms.length,
    size,
    failures,
    p50Ms: rank(0.5),
    p90Ms: rank(0.9),
    p99Ms: rank(0.99),
    maxMs: ms.at(-1) ?? 0,
    meanMs: ms.length === 0 ? 0 : sum / ms.length,
    checkMeanMs: ms.length === 0 ? 0 : checkMs / ms.length,
  };
}

/** Disk usage (allocated blocks, as `du -s`) and apparent size of everything under `dir`. */
async function diskUsage(dir: string): Promise<{ diskBytes: number; apparentBytes: number }> {
  let diskBytes = 0;
  let apparentBytes = 0;
  const paths = [dir, ...(await readdir(dir, { recursive: true })).map((p) => join(dir, p))];
  for (const p of paths) {
    const s = await stat(p);
    diskBytes += s.blocks * 512;
    apparentBytes += s.size;
  }
  return { diskBytes, apparentBytes };
}

// ---------------------------------------------------------------------------------------------
// Events

const scenario = demoScenario({ days: SCENARIO_DAYS });
const pool = scenario.flatMap((d) => d.events);
const SPAN_MS = SCENARIO_DAYS * 86_400_000;

/** Events [from, from + k): pool events in turn, unique ids, ts moved 60 days per cycle. */
function generate(from: number, k: number): Record<string, unknown>[] {
  const out = new Array<Record<string, unknown>>(k);
  for (let j = 0; j < k; j++) {
    const i = from + j;
    const e = pool[i % pool.length] as Record<string, unknown>;
    const cycle = Math.floor(i / pool.length);
    out[j] = {
      ...e,
      id: `evt-${String(i).padStart(10, "0")}`,
      ts: (e.ts as number) + cycle * SPAN_MS,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phases

async function appendAll(log: Log) {
  const sampler = rssSampler();
  const wallStart = performance.now();
  let inside = 0;
  let checkpoints = 0;
  let lastReport = wallStart;
  for (let done = 0; done < events; ) {
    const k = Math.min(batch, events - done);
    const chunk = generate(done, k);
    const t = performance.now();
    await log.append(chunk);
    const crossed = Math.floor((done + k) / CHECKPOINT_EVERY) > Math.floor(done / CHECKPOINT_EVERY);
    done += k;
    if (crossed && done < events) {
      await log.checkpoint();
      checkpoints++;
    }
    const now = performance.now();
    inside += now - t;
    if (now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      const rate = Math.round(done / (inside / 1000));
      progress(
        `append ${done.toLocaleString("en-US")} / ${events.toLocaleString("en-US")} (${rate.toLocaleString("en-US")} events/s)`,
      );
    }
  }
  const t = performance.now();
  await log.checkpoint(); // the final checkpoint, which the proofs below are against
  checkpoints++;
  inside += performance.now() - t;
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const peakRssBytes = sampler.stop();
  const seconds = inside / 1000;
  return {
    events,
    checkpoints,
    seconds,
    wallSeconds,
    eventsPerSecond: events / seconds,
    peakRssBytes,
    maxRssBytes: maxRss(),
  };
}

async function verifyAll(store: Parameters<typeof verifyLog>[0], verifier: Verifier) {
  const sampler = rssSampler();
  let lastReport = performance.now();
  const t = performance.now();
  const report = await verifyLog(store, {
    keys: [verifier],
    onProgress: (p) => {
      const now = performance.now();
      if (p.phase === "entries" && now - lastReport >= PROGRESS_MS) {
        lastReport = now;
        progress(
          `verify ${p.done.toLocaleString("en-US")} / ${p.total.toLocaleString("en-US")} (${Math.round(p.rate).toLocaleString("en-US")} events/s)`,
        );
      }
    },
  });
  const seconds = (performance.now() - t) / 1000;
  const peakRssBytes = sampler.stop();
  return {
    ok: report.ok,
    size: report.size,
    entries: report.entries,
    tiles: report.tiles,
    checkpoints: report.checkpoints.length,
    failures: report.failures.length + report.moreFailures,
    seconds,
    eventsPerSecond: report.entries / seconds,
    peakRssBytes,
    maxRssBytes: maxRss(),
    pageCache: "warm" as const,
  };
}

/**
 * The latest checkpoint and its root, opened with the pinned key as a client would: proofs are
 * checked against this root, not against anything the prover returns.
 */
async function openLatest(log: Log, verifier: Verifier) {
  const latest = await log.latestCheckpoint();
  if (latest === undefined) throw new Error("no checkpoint after append");
  const { checkpoint } = openCheckpoint(latest.note, [verifier], log.origin);
  if (checkpoint.size !== latest.size)
    throw new Error("latest checkpoint is stored under the wrong size");
  return { latest, root: checkpoint.root };
}

/** Times K inclusion proofs of random entries against the latest checkpoint, and checks each. */
async function inclusionProofs(log: Log, verifier: Verifier, k: number): Promise<Latency> {
  const { latest, root } = await openLatest(log, verifier);
  const rnd = prng(SEED);
  const ms: number[] = [];
  let checkMs = 0;
  let failures = 0;
  for (let j = 0; j < k; j++) {
    const index = Math.floor(rnd() * latest.size);
    const t0 = performance.now();
    const p = await log.proveInclusion(index);
    const t1 = performance.now();
    const ok =
      p.checkpoint === latest.note &&
      checkInclusion(p.index, p.size, p.leafHash, p.proof, root) &&
      p.index === index &&
      p.size === latest.size;
    checkMs += performance.now() - t1;
    ms.push(t1 - t0);
    if (!ok) failures++;
  }
  return latency(ms, checkMs, latest.size, failures);
}

/** Times K consistency proofs (from, latest) with random 1 ≤ from ≤ latest, and checks each. */
async function consistencyProofs(log: Log, verifier: Verifier, k: number): Promise<Latency> {
  const { latest, root } = await openLatest(log, verifier);
  const rnd = prng(SEED + 1);
  const ms: number[] = [];
  let checkMs = 0;
  let failures = 0;
  for (let j = 0; j < k; j++) {
    const from = 1 + Math.floor(rnd() * latest.size);
    const t0 = performance.now();
    const p = await log.proveConsistency(from);
    const t1 = performance.now();
    const ok =
      p.checkpoint === latest.note &&
      p.from === from &&
      p.to === latest.size &&
      checkConsistency(p.from, p.fromRoot, p.to, root, p.proof);
    checkMs += performance.now() - t1;
    ms.push(t1 - t0);
    if (!ok) failures++;
  }
  return latency(ms, checkMs, latest.size, failures);
}

/** Mean leaf size, read back one bundle at a time (bounded memory). */
async function averageLeaf(log: Log): Promise<number> {
  let bytes = 0;
  let leaves = 0;
  for (let n = 0; n * BUNDLE_WIDTH < log.size; n++) {
    const b = await log.store.readBundle(n);
    const entries =
      b === undefined
        ? null
        : parseEntryBundle(b, Math.min(BUNDLE_WIDTH, log.size - n * BUNDLE_WIDTH));
    if (entries === null) throw new Error(`entry bundle ${n} is missing or damaged`);
    for (const e of entries) bytes += e.length;
    leaves += entries.length;
  }
  return leaves === 0 ? 0 : bytes / leaves;
}

// ---------------------------------------------------------------------------------------------
// Output

type Result = Awaited<ReturnType<typeof run>>;

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const fixed = (n: number, d = 2) => n.toFixed(d);

/** JSON replacer: integers stay, other numbers keep 4 decimals (0.1 µs for the `…Ms` fields). */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Math.round(value * 10_000) / 10_000
    : value;
}

function table(r: Result): string {
  const rows: [string, string][] = [
    [
      "append",
      `${int(r.append.eventsPerSecond)} events/s (${fixed(r.append.seconds, 1)} s, ${r.append.checkpoints} checkpoints, batches of ${int(r.params.batch)})`,
    ],
    [
      "  peak RSS (sampled / maxRSS)",
      `${mib(r.append.peakRssBytes)} / ${mib(r.append.maxRssBytes)}`,
    ],
    [
      "verify (reopened, page cache warm)",
      `${int(r.verify.eventsPerSecond)} events/s (${fixed(r.verify.seconds, 1)} s), ok=${r.verify.ok}, ${r.verify.failures} failures, ${r.verify.checkpoints} checkpoints`,
    ],
    [
      "  peak RSS (sampled / maxRSS*)",
      `${mib(r.verify.peakRssBytes)} / ${mib(r.verify.maxRssBytes)}`,
    ],
  ];
  for (const [name, l] of [
    ["inclusion proofs", r.inclusion],
    ["consistency proofs", r.consistency],
  ] as const) {
    if (l === null) continue;
    rows.push([
      `${name} (${int(l.count)} at size ${int(l.size)})`,
      `p50 ${fixed(l.p50Ms, 3)} ms, p90 ${fixed(l.p90Ms, 3)} ms, p99 ${fixed(l.p99Ms, 3)} ms, max ${fixed(l.maxMs, 3)} ms; ${l.failures} failed to check`,
    ]);
  }
  rows.push(
    [
      "store on disk",
      `${mib(r.store.diskBytes)} (du), ${mib(r.store.apparentBytes)} apparent, ${int(r.store.bytesPerEvent)} bytes/event`,
    ],
    ["average leaf", `${int(r.store.avgLeafBytes)} bytes`],
  );
  const w = Math.max(...rows.map(([k]) => k.length));
  const m = r.machine;
  return [
    `logseal bench:large, ${int(r.params.events)} events, ${r.date}`,
    `machine: node ${m.node}, ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.platform}`,
    `load average at start: ${m.loadAvgAtStart.join(" ")} (other work on the machine skews the figures)`,
    `command: ${r.command}`,
    "",
    ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`),
    "",
    "* maxRSS is the process peak since start, so it includes the append phase.",
    ...(r.params.kept ? [`store kept in ${r.params.dir}`] : []),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

async function run(dir: string, storeDir: string) {
  // Before our own load: on a shared machine this tells whether other work ran alongside.
  const loadAvgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  progress(`building ${int(events)} events in batches of ${int(batch)} in ${storeDir}`);
  let log = await init(storeDir, { origin: ORIGIN });
  // The same store without the hooks init registered: the core log's own append path.
  if (args.hooks === "none") log = new Log(log.store);
  if (args.hooks === "lineage") {
    log = new Log(log.store);
    log.addContributor(lineageIndexer);
  }
  const verifier = parseVkey(log.vkey);
  const append = await appendAll(log);
  progress(`append done: ${int(append.eventsPerSecond)} events/s`);

  await log.close();
  const t = performance.now();
  // The store as `logseal verify` opens it (few LevelDB table files: bounded memory).
  const verifyStore = await openStoreForVerify(storeDir);
  const reopenSeconds = (performance.now() - t) / 1000;
  let verify: Awaited<ReturnType<typeof verifyAll>> & { reopenSeconds: number };
  try {
    progress("verifying (store reopened, page cache warm)");
    verify = { ...(await verifyAll(verifyStore, verifier)), reopenSeconds };
  } finally {
    await verifyStore.close();
  }
  progress(`verify done: ${int(verify.eventsPerSecond)} events/s, ok=${verify.ok}`);
  log = await open(storeDir);
  try {
    let inclusion: Latency | null = null;
    let consistency: Latency | null = null;
    if (proofs > 0) {
      progress(`timing ${int(proofs)} inclusion proofs`);
      inclusion = await inclusionProofs(log, verifier, proofs);
      progress(`timing ${int(proofs)} consistency proofs`);
      consistency = await consistencyProofs(log, verifier, proofs);
    }
    progress("measuring leaf sizes and disk usage");
    const avgLeafBytes = await averageLeaf(log);
    const usage = await diskUsage(dir);
    const cpu = cpus();
    return {
      bench: "large" as const,
      date: new Date().toISOString(),
      command: `npm run bench:large -- ${process.argv.slice(2).join(" ")}`,
      machine: {
        node: process.version,
        cpu: cpu[0]?.model ?? "unknown",
        cores: cpu.length,
        memoryBytes: totalmem(),
        platform: `${platform()} ${release()} ${arch()}`,
        loadAvgAtStart,
      },
      params: { events, batch, proofs, seed: SEED, dir, kept: keep },
      append,
      verify,
      inclusion,
      consistency,
      store: { ...usage, bytesPerEvent: usage.diskBytes / events, avgLeafBytes },
    };
  } finally {
    await log.close();
  }
}

const dir = args.dir ?? (await mkdtemp(join(tmpdir(), "logseal-large-")));
// The store is the directory itself with --dir, a subdirectory of the temp directory otherwise.
const storeDir = args.dir ?? join(dir, "store");
const cleanup = () => {
  if (!keep) return rm(dir, { recursive: true, force: true });
  return Promise.resolve();
};
process.once("SIGINT", () => {
  void cleanup().finally(() => process.exit(130));
});
try {
  const result = await run(dir, storeDir);
  process.stdout.write(`${args.json ? JSON.stringify(result, rounded, 2) : table(result)}\n`);
  if (
    !result.verify.ok ||
    (result.inclusion?.failures ?? 0) + (result.consistency?.failures ?? 0) > 0
  ) {
    process.exitCode = 1;
  }
} catch (e) {
  process.stderr.write(`bench:large: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
