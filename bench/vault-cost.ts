/**
 * What the vault costs per masked value, priced by difference, with the CPU of every thread of
 * the process (LevelDB's writer and compaction threads, libuv's pool, V8's GC helpers: the JS
 * profiler sees none of them). Variants, interleaved round by round in one process so that
 * they share the machine's load:
 *
 * - `none`: a `Log` without hooks;
 * - `mask`: the privacy transform without a vault (maskEvent and the larger leaves, no vault);
 * - `sealed`: the full transform, but the vault's puts dropped before the batch (the vault's
 *   JS and crypto without LevelDB);
 * - `noplaces`: the full transform without its place records (`v/x/…`), to price one record
 *   a value;
 * - `full`: the full transform (what bench:privacy's masking mode measures).
 *
 *   flock /work/wt/bench.lock node --import tsx bench/vault-cost.ts [N=10000] [ROUNDS=3]
 *
 * Prints, per variant, the median CPU µs an event (process-wide) and its split by thread name
 * (from /proc/self/task/<tid>/stat, utime + stime), and the values masked an event.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigner, Log } from "../src/index.js";
import { attachPrivacy, prepareVault } from "../src/privacy/access.js";
import { PrivacyHook } from "../src/privacy/hook.js";
import { LevelStore } from "../src/store/level-store.js";
import { piiCorpus } from "../test/privacy/corpus.js";

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const VARIANTS = (process.env.BENCH_VARIANTS ?? "none,mask,sealed,full").split(",");
const BATCH = 1_000;
const AT = 1_764_000_000_000;
const ORIGIN = "example.com/logseal/bench";
const pool = piiCorpus({ count: Number(process.env.BENCH_POOL ?? 2_000) }).map((e) => e.event);
const root = await mkdtemp(join(tmpdir(), "logseal-vault-cost-"));
const TICK = 100; // USER_HZ on Linux

/**
 * CPU ticks of every live thread: the main thread as `main`, the others by name and thread id
 * (Node 20 leaves its worker threads named `node`, so the id tells them apart across a run).
 */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const name = Number(tid) === process.pid ? "main" : `${stat.slice(open + 1, close)}:${tid}`;
    const f = stat.slice(close + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    out.set(name, (out.get(name) ?? 0) + ticks);
  }
  return out;
}

/** The items (values) of a layout-2 entry record: `n(2) kid(16) sid(16) len(4) seal(len)`. */
function entryItems(v: Uint8Array): number {
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  let n = 0;
  for (let o = 0; o < v.length; o += 38 + view.getUint32(o + 34)) n++;
  return n;
}

interface Run {
  us: number;
  threads: Map<string, number>;
  values: number;
}

let seq = 0;
async function run(variant: string): Promise<Run> {
  const { skey, vkey } = generateSigner(ORIGIN);
  const withVault = variant === "sealed" || variant === "full" || variant === "noplaces";
  const vault = withVault ? await prepareVault({}) : {};
  const dir = join(root, `${variant}-${seq++}`);
  const store = await LevelStore.create(dir, { origin: ORIGIN, skey, vkey, ...vault });
  const log = new Log(store);
  let values = 0;
  if (variant === "mask") {
    log.addTransform(new PrivacyHook(undefined));
  } else if (withVault) {
    await attachPrivacy(log);
  }
  if (withVault) {
    // Count the values (and, for `sealed`, drop the vault's puts) at the store's write.
    const write = store.write.bind(store);
    store.write = async (puts, size) => {
      let kept = puts;
      for (const p of puts) {
        if (p.key.startsWith("v/c/")) values++; // layout 1
        if (p.key.startsWith("v/e/")) values += entryItems(p.value); // layout 2
      }
      if (variant === "sealed") kept = puts.filter((p) => !p.key.startsWith("v/"));
      if (variant === "noplaces") kept = puts.filter((p) => !p.key.startsWith("v/x/"));
      return write(kept, size);
    };
  }
  const batches: Record<string, unknown>[][] = [];
  for (let from = 0; from < N; from += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, N - from) }, (_, j) => ({
        ...(pool[(from + j) % pool.length] as Record<string, unknown>),
        id: `${variant}-${from + j}`,
      })),
    );
  }
  const t0 = threadTicks();
  const c0 = process.cpuUsage();
  for (const b of batches) await log.append(b, { now: AT });
  await log.close(); // LevelDB's threads finish the batch's work (flush) inside the window
  const c = process.cpuUsage(c0);
  const t1 = threadTicks();
  // The main thread, and the others summed (their ids differ from run to run: LevelDB starts
  // its own per database) plus the busiest of them.
  const threads = new Map<string, number>();
  let others = 0;
  let busiest = 0;
  for (const [name, ticks] of t1) {
    const us = ((ticks - (t0.get(name) ?? 0)) * 1e6) / TICK / N;
    if (name === "main") threads.set("main", us);
    else {
      others += us;
      busiest = Math.max(busiest, us);
    }
  }
  threads.set("other threads", others);
  threads.set("busiest other", busiest);
  return { us: (c.user + c.system) / N, threads, values: values / N };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v, []]));
try {
  for (const v of VARIANTS) await run(v); // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of VARIANTS) runs.get(v)?.push(await run(v));
  }
  console.log(`load ${readFileSync("/proc/loadavg", "utf8").trim()}; N=${N}, rounds ${ROUNDS}`);
  for (const v of VARIANTS) {
    const rs = runs.get(v) ?? [];
    const names = new Set(rs.flatMap((r) => [...r.threads.keys()]));
    const split = [...names]
      .map((n) => [n, median(rs.map((r) => r.threads.get(n) ?? 0))] as const)
      .filter(([, us]) => us >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([n, us]) => `${n} ${us.toFixed(1)}`)
      .join(", ");
    const us = rs.map((r) => r.us);
    console.log(
      `${v.padEnd(7)} ${median(us).toFixed(1)} µs CPU/event [${us.map((x) => x.toFixed(1)).join(" ")}]` +
        `${rs[0]?.values ? `, ${rs[0].values.toFixed(2)} values/event` : ""}\n          threads: ${split}`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
