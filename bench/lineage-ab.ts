/**
 * The lineage indexer's cost on the append path in this checkout against another commit's, in
 * one process, batches interleaved: on a shared machine whose load swings from one minute to
 * the next, two separate bench:lineage runs cannot tell a 20% change from noise, while the
 * same batches appended alternately by both versions under the same load can.
 *
 *   git archive <commit> src native/hash.c | tar -x -C /tmp/old
 *   ln -s "$PWD/node_modules" /tmp/old/node_modules; cp -r native/build /tmp/old/native/
 *   npx tsx bench/lineage-ab.ts /tmp/old [--events N] [--shape minimal|pipeline]
 *
 * Four fresh stores, each fed the same N events (default 300,000) of bench:lineage's workload
 * (bench/lineage-events.ts, pipeline pattern) in batches of 10,000: the other version without
 * and with the indexer, this checkout without and with it; for each batch the four appends run
 * in a rotating order, each on its own freshly generated copy of the batch (so that no version
 * meets strings another has already hashed). Prints the CPU time an event of each (process
 * CPU, every thread), the indexer's cost (with − without) and issue 4's ratio by CPU time
 * (without / with), and the same by wall time.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Shape, workload } from "./lineage-events.js";

type Index = typeof import("../src/index.js");

const { values: opts, positionals } = parseArgs({
  options: {
    events: { type: "string", default: "300000" },
    shape: { type: "string", default: "minimal" },
    batch: { type: "string", default: "10000" },
  },
  allowPositionals: true,
});
const other = positionals[0];
if (other === undefined) {
  console.error("usage: tsx bench/lineage-ab.ts OTHER_CHECKOUT [--events N] [--shape S]");
  process.exit(2);
}
const N = Number(opts.events);
const BATCH = Number(opts.batch);
const SHAPE = opts.shape as Shape;
if (SHAPE !== "minimal" && SHAPE !== "pipeline") {
  console.error("--shape is minimal or pipeline");
  process.exit(2);
}

const libs: Record<"other" | "this", Index> = {
  other: (await import(join(resolve(other), "src/index.js"))) as Index,
  this: (await import(join(resolve(import.meta.dirname, ".."), "src/index.js"))) as Index,
};
const w = workload(10_000, "pipeline", SHAPE);
const tmp = await mkdtemp(join(tmpdir(), "logseal-bench-lineage-ab-"));

interface Run {
  name: string;
  log: InstanceType<Index["Log"]>;
  close: () => Promise<void>;
  cpu: number;
  wall: number;
  /** CPU inside the indexer's `puts` (building its records). */
  build: number;
  /** The same, of the main thread alone. */
  thread: number;
  buildThread: number;
}

/**
 * This thread's CPU time in ms, from the kernel's scheduler statistics (ns). process.cpuUsage
 * counts every thread, LevelDB's compactions of all four stores included, which land on
 * whichever append runs when they do.
 */
const threadMs = (): number =>
  Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) / 1e6;

async function open(version: "other" | "this", indexed: boolean): Promise<Run> {
  const lib = libs[version];
  const name = `${version}-${indexed ? "with" : "without"}`;
  const x = await lib.init(join(tmp, name), { origin: `example.com/logseal/${name}` });
  const log = new lib.Log(x.store);
  const run: Run = {
    name,
    log,
    close: () => x.close(),
    cpu: 0,
    wall: 0,
    build: 0,
    thread: 0,
    buildThread: 0,
  };
  if (indexed) {
    log.addContributor({
      name: "lineage",
      async puts(entries, store, records) {
        const c0 = process.cpuUsage();
        const t0 = threadMs();
        const puts = await lib.lineageIndexer.puts(entries, store, records);
        run.buildThread += threadMs() - t0;
        const c = process.cpuUsage(c0);
        run.build += (c.user + c.system) / 1000;
        return puts;
      },
    });
  }
  return run;
}

try {
  const runs = [
    await open("other", false),
    await open("other", true),
    await open("this", false),
    await open("this", true),
  ];
  const load0 = (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  for (let done = 0, b = 0; done < N; done += BATCH, b++) {
    const n = Math.min(BATCH, N - done);
    for (let k = 0; k < runs.length; k++) {
      const r = runs[(k + b) % runs.length] as Run;
      const events = w.generate(done, n);
      const c0 = process.cpuUsage();
      const th0 = threadMs();
      const t0 = performance.now();
      await r.log.append(events, { now: 1_795_000_000_000 + done });
      r.wall += performance.now() - t0;
      r.thread += threadMs() - th0;
      const c = process.cpuUsage(c0);
      r.cpu += (c.user + c.system) / 1000;
    }
  }
  const load1 = (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  const us = (ms: number) => ((ms * 1000) / N).toFixed(2);
  console.log(`${N} events (${SHAPE}), batches of ${BATCH}, load ${load0} → ${load1}`);
  for (const r of runs) {
    const build =
      r.build > 0
        ? ` (building the index records ${us(r.build)} µs CPU, ${us(r.buildThread)} main thread)`
        : "";
    console.log(
      `${r.name.padEnd(14)} ${us(r.cpu)} µs CPU (main thread ${us(r.thread)}), ${us(r.wall)} µs wall an event${build}`,
    );
  }
  for (const v of ["other", "this"]) {
    const [a, b] = runs.filter((r) => r.name.startsWith(v)) as [Run, Run];
    console.log(
      `${v}: indexer ${us(b.cpu - a.cpu)} µs CPU an event (main thread ${us(b.thread - a.thread)}); ratio by CPU ${(a.cpu / b.cpu).toFixed(3)}, by main-thread CPU ${(a.thread / b.thread).toFixed(3)}, by wall ${(a.wall / b.wall).toFixed(3)}`,
    );
  }
  for (const r of runs) await r.close();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
