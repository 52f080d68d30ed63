/**
 * Masking's cost in this checkout against another commit's, in one process, runs interleaved:
 * on a shared machine whose load swings by half from one minute to the next, two separate
 * `bench:privacy` runs cannot tell a 10% change from noise, while the same events appended
 * alternately by both versions under the same load can.
 *
 *   git archive <commit> src test/privacy native/hash.c | tar -x -C /tmp/old
 *   ln -s "$PWD/node_modules" /tmp/old/node_modules; cp -r native/build /tmp/old/native/
 *   npx tsx bench/privacy-ab.ts /tmp/old [N=10000] [RUNS=3]
 *
 * For each corpus (BENCH_SETS, default planted,clean, or demo: the demo scenario's events, as
 * bench:privacy; pools of BENCH_POOL events, default 2,000), RUNS rounds of: the other version with no hooks, then with masking (a `Log` with only
 * the privacy transform and a vault, as in bench:privacy), then this checkout likewise; N events
 * in batches of 1,000 each time. Prints the median CPU and wall time an event of each, and
 * masked against unmasked (issue 6's measure, ≥ 50%).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Index = typeof import("../src/index.js");
type Access = typeof import("../src/privacy/access.js");
type Store = typeof import("../src/store/level-store.js");
type Corpus = typeof import("../test/privacy/corpus.js");
interface Lib {
  idx: Index;
  acc: Access;
  ls: Store;
  corpus: Corpus;
}

const other = process.argv[2];
if (other === undefined) {
  console.error("usage: tsx bench/privacy-ab.ts OTHER_CHECKOUT [N] [RUNS]");
  process.exit(2);
}
const N = Number(process.argv[3] ?? 10_000);
const RUNS = Number(process.argv[4] ?? 3);
const SETS = (process.env.BENCH_SETS ?? "planted,clean").split(",");
const POOL = Number(process.env.BENCH_POOL ?? 2_000);
const ORIGIN = "example.com/logseal/bench";

async function load(root: string): Promise<Lib> {
  return {
    idx: (await import(join(root, "src/index.js"))) as Index,
    acc: (await import(join(root, "src/privacy/access.js"))) as Access,
    ls: (await import(join(root, "src/store/level-store.js"))) as Store,
    corpus: (await import(join(root, "test/privacy/corpus.js"))) as Corpus,
  };
}
const libs: Record<"other" | "this", Lib> = {
  other: await load(resolve(other)),
  this: await load(resolve(import.meta.dirname, "..")),
};

const tmp = await mkdtemp(join(tmpdir(), "logseal-bench-privacy-ab-"));

async function run(lib: Lib, pool: Record<string, unknown>[], masking: boolean) {
  const { skey, vkey } = lib.idx.generateSigner(ORIGIN);
  const vault = masking ? await lib.acc.prepareVault({}) : {};
  const dir = join(tmp, Math.random().toString(36).slice(2));
  const log = new lib.idx.Log(
    await lib.ls.LevelStore.create(dir, { origin: ORIGIN, skey, vkey, ...vault }),
  );
  if (masking) await lib.acc.attachPrivacy(log);
  const batches: Record<string, unknown>[][] = [];
  for (let from = 0; from < N; from += 1000) {
    batches.push(
      Array.from({ length: Math.min(1000, N - from) }, (_, j) => ({
        ...(pool[(from + j) % pool.length] as Record<string, unknown>),
        id: `bench-${from + j}`,
      })),
    );
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) await log.append(b, { now: 1_764_000_000_000 });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await log.close();
  await rm(dir, { recursive: true, force: true });
  return { cpu: (c.user + c.system) / N, wall: (ms * 1000) / N };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

try {
  console.log(`node ${process.version}, ${new Date().toISOString()}, other: ${resolve(other)}`);
  console.log(`${N} events in batches of 1,000, median of ${RUNS} interleaved runs`);
  for (const set of SETS) {
    const corpus = libs.this.corpus;
    const pool =
      set === "demo"
        ? (libs.this.idx.demoScenario({ days: 14 }).flatMap((d) => d.events) as unknown as Record<
            string,
            unknown
          >[])
        : (set === "planted"
            ? corpus.piiCorpus({ count: POOL })
            : corpus.cleanCorpus({ count: POOL })
          ).map((e) => e.event);
    const res = new Map<string, { cpu: number[]; wall: number[] }>();
    for (let r = 0; r < RUNS; r++) {
      for (const version of ["other", "this"] as const) {
        for (const masking of [false, true]) {
          const key = `${version} ${masking ? "masking" : "none"}`;
          const x = await run(libs[version], pool, masking);
          const entry = res.get(key) ?? { cpu: [], wall: [] };
          entry.cpu.push(x.cpu);
          entry.wall.push(x.wall);
          res.set(key, entry);
        }
      }
    }
    for (const version of ["other", "this"]) {
      const n = res.get(`${version} none`) as { cpu: number[]; wall: number[] };
      const m = res.get(`${version} masking`) as { cpu: number[]; wall: number[] };
      const pc = (a: number[], b: number[]) => `${((median(a) / median(b)) * 100).toFixed(0)}%`;
      console.log(
        `${set.padEnd(8)} ${version.padEnd(6)} µs an event, CPU (wall): no hooks ${median(n.cpu).toFixed(1)} (${median(n.wall).toFixed(1)}), masking ${median(m.cpu).toFixed(1)} (${median(m.wall).toFixed(1)}); masked rate ${pc(n.cpu, m.cpu)} CPU, ${pc(n.wall, m.wall)} wall`,
      );
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
