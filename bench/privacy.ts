/**
 * Privacy benchmark. Two parts:
 *
 * 1. The real append path (`Log.append` into a fresh LevelDB store in a temp directory, batches
 *    of BATCH events), events per second:
 *    - "no privacy": a Log with no hooks (the append path as it was before masking);
 *    - "masking": the same Log with only the privacy transform registered (default policy,
 *      vault): it masks every event and seals the clear values into the vault in the same
 *      batch. This is the measure of issue 6's target: "masking" ≥ 0.5 × "no privacy";
 *    - "all hooks": a store from `init`, as the CLI and the server append: masking, the controls
 *      transform, and the lineage and query indexes (issue 4's cost, measured in bench:lineage);
 *    - "masking + encrypted": `init --encrypt` (AES-256-GCM entry bundles; no indexes).
 *    Then `verifyLog` over the plain and the encrypted store, events per second.
 * 2. tinybench micro-benchmarks: `maskEvent` alone against `validateEvent` + `encodeLeaf`.
 *
 *   npm run bench:privacy -- [N=20000] [BATCH=1000] [RUNS=3]
 *
 * Inputs: the demo scenario's events (src/demo/scenario.ts, realistic, few sensitive values),
 * and the test corpus (test/privacy/corpus.ts): larger events with planted values of every
 * kind ("planted"), and clean events of the same shape ("clean").
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import {
  completeEvent,
  DEFAULT_POLICY,
  demoScenario,
  type EventInput,
  encodeLeaf,
  generateSigner,
  init,
  Log,
  maskEvent,
  open,
  parseVkey,
  validateEvent,
  verifyLog,
} from "../src/index.js";
import { attachPrivacy, prepareVault } from "../src/privacy/access.js";
import { LevelStore } from "../src/store/level-store.js";
import { cleanCorpus, piiCorpus } from "../test/privacy/corpus.js";

const N = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 1_000);
const RUNS = Number(process.argv[4] ?? 3);
const AT = 1_764_000_000_000;
const ORIGIN = "example.com/logseal/bench";
const PASSPHRASE = { passphrase: "bench passphrase" };

// BENCH_SETS=clean,planted and BENCH_MODES="no privacy,masking" narrow a run (while profiling).
// The corpora are pools of BENCH_POOL events (default 2,000) appended in turn, so with N above
// the pool a planted value (by default its own subject) comes back every POOL events: the open
// vault then reuses the subject's data key. BENCH_POOL=N makes every subject new.
const POOL = Number(process.env.BENCH_POOL ?? 2_000);
const only = (env: string | undefined) => (env === undefined ? undefined : new Set(env.split(",")));
const onlySets = only(process.env.BENCH_SETS);
const sets: Array<[string, Record<string, unknown>[]]> = (
  [
    ["demo", demoScenario({ days: 14 }).flatMap((d) => d.events)],
    ["planted", piiCorpus({ count: POOL }).map((e) => e.event)],
    ["clean", cleanCorpus({ count: POOL }).map((e) => e.event)],
  ] as Array<[string, Record<string, unknown>[]]>
).filter(([name]) => onlySets === undefined || onlySets.has(name));

const ALL_MODES = ["no privacy", "masking", "all hooks", "masking + encrypted"] as const;
type Mode = (typeof ALL_MODES)[number];
const onlyModes = only(process.env.BENCH_MODES);
const MODES = ALL_MODES.filter(
  (m) => m === "no privacy" || onlyModes === undefined || onlyModes.has(m),
);

async function makeLog(dir: string, mode: Mode): Promise<Log> {
  if (mode === "no privacy" || mode === "masking") {
    const { skey, vkey } = generateSigner(ORIGIN);
    const vault = mode === "masking" ? await prepareVault({}) : {};
    const log = new Log(await LevelStore.create(dir, { origin: ORIGIN, skey, vkey, ...vault }));
    if (mode === "masking") await attachPrivacy(log);
    return log;
  }
  return init(dir, {
    origin: ORIGIN,
    privacy: mode === "all hooks" ? {} : { vaultKey: PASSPHRASE, encrypt: true },
  });
}

/** Appends N events of `pool` (unique ids) in batches; returns events/s and the store dir. */
async function appendRun(pool: Record<string, unknown>[], mode: Mode, root: string) {
  const dir = join(root, `${mode.replaceAll(" ", "")}-${Math.random().toString(36).slice(2)}`);
  const log = await makeLog(dir, mode);
  const batches: Record<string, unknown>[][] = [];
  for (let from = 0; from < N; from += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, N - from) }, (_, j) => ({
        ...(pool[(from + j) % pool.length] as Record<string, unknown>),
        id: `bench-${from + j}`,
      })),
    );
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) await log.append(b, { now: AT });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await log.checkpoint();
  await log.close();
  // CPU time of the whole process (LevelDB's threads included): on a shared machine the rate
  // per CPU-second is far steadier than the wall-clock rate.
  return { rate: N / (ms / 1000), cpuRate: N / ((c.user + c.system) / 1e6), dir };
}

async function verifyRun(dir: string, encrypted: boolean): Promise<number> {
  const log = await open(dir, encrypted ? { vaultKey: PASSPHRASE } : {});
  const t0 = performance.now();
  const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
  const ms = performance.now() - t0;
  await log.close();
  if (!report.ok) throw new Error(`verify failed on ${dir}`);
  return N / (ms / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const k = (x: number) => `${(x / 1000).toFixed(1)}k/s`;

const root = await mkdtemp(join(tmpdir(), "logseal-bench-privacy-"));
const rows: Record<string, Record<string, string>> = {};
const cpuRows: Record<string, Record<string, string>> = {};
try {
  for (const [name, pool] of sets) {
    const rates = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<
      Mode,
      number[]
    >;
    const cpu = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
    const verify = { plain: [] as number[], encrypted: [] as number[] };
    for (let r = 0; r < RUNS; r++) {
      // Interleaved, so that load changes on the shared machine hit every mode alike.
      for (const mode of MODES) {
        const { rate, cpuRate, dir } = await appendRun(pool, mode, root);
        rates[mode].push(rate);
        cpu[mode].push(cpuRate);
        if (mode === "no privacy") verify.plain.push(await verifyRun(dir, false));
        if (mode === "masking + encrypted") verify.encrypted.push(await verifyRun(dir, true));
        await rm(dir, { recursive: true, force: true });
      }
    }
    const base = median(rates["no privacy"]);
    const cbase = median(cpu["no privacy"]);
    const pc = (m: Mode) =>
      `${k(median(cpu[m]))} (${((median(cpu[m]) / cbase) * 100).toFixed(0)}%)`;
    const pw = (m: Mode) =>
      `${k(median(rates[m]))} (${((median(rates[m]) / base) * 100).toFixed(0)}%)`;
    cpuRows[name] = { "no privacy": k(cbase) };
    rows[name] = { "append, no privacy": k(base) };
    for (const m of MODES) {
      if (m === "no privacy") continue;
      (cpuRows[name] as Record<string, string>)[m] = pc(m);
      (rows[name] as Record<string, string>)[`append, ${m}`] = pw(m);
    }
    Object.assign(rows[name] as Record<string, string>, {
      "verify, plain": k(median(verify.plain)),
      ...(MODES.includes("masking + encrypted")
        ? {
            "verify, encrypted": `${k(median(verify.encrypted))} (${((median(verify.encrypted) / median(verify.plain)) * 100).toFixed(0)}%)`,
          }
        : {}),
    });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`real append path: ${N} events in batches of ${BATCH}, median of ${RUNS} runs`);
console.log("events per second of wall-clock time (and against no privacy):");
console.table(rows);
console.log("append, events per CPU-second of the process (and against no privacy):");
console.table(cpuRows);

// --- micro-benchmarks -------------------------------------------------------------------------

if (process.env.BENCH_MICRO === "0") process.exit(0);

const bench = new Bench({ time: 500 });
const sizes: Record<string, number> = {};
for (const [name, raw] of sets) {
  const inputs: EventInput[] = raw.map((e) => validateEvent(e));
  const leafBytes = inputs.map((e) => encodeLeaf(completeEvent(e, AT)).length);
  sizes[name] = Math.round(leafBytes.reduce((a, b) => a + b, 0) / leafBytes.length);
  let i = 0;
  let j = 0;
  bench
    .add(`${name}: validateEvent + encodeLeaf`, () => {
      encodeLeaf(completeEvent(validateEvent(raw[i++ % raw.length]), AT));
    })
    .add(`${name}: maskEvent (default policy)`, () => {
      maskEvent(inputs[j++ % inputs.length] as EventInput, DEFAULT_POLICY, {});
    });
}
await bench.run();
console.log("average leaf size before masking (bytes):", sizes);
console.table(bench.table());
