/**
 * Group-commit pipelining in `Log.append`, isolated from HTTP: the same batches appended to fresh
 * stores made by `init` (masking, controls, the lineage and query indexes: what `logseal serve`
 * runs), once awaiting each append before the next (serial) and once starting the next append
 * as soon as the one before is prepared, at most two in flight (pipelined, as the server's group
 * committer does). Rounds alternate the order of the two modes so that both see the same load.
 *
 *   npx tsx bench/pipeline.ts [EVENTS=100000] [BATCH=500] [ROUNDS=3]
 *
 * Per mode and round: events/s of wall-clock time, CPU ms per 1,000 events (the whole process:
 * LevelDB's threads too) and the main thread's event-loop utilisation (the share of the time it
 * was not idle, waiting on LevelDB). The events (demo events, unique ids) are built before the
 * timed part.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { demoScenario, init, type Log } from "../src/index.js";

const total = Number(process.argv[2] ?? 100_000);
const size = Number(process.argv[3] ?? 500);
const rounds = Number(process.argv[4] ?? 3);

const pool = demoScenario({ days: 40 })
  .flatMap((d) => d.events)
  .map((e) => JSON.stringify({ ...e, id: undefined }));
function batches(tag: string): unknown[][] {
  const out: unknown[][] = [];
  for (let from = 0; from < total; from += size) {
    const n = Math.min(size, total - from);
    out.push(
      Array.from({ length: n }, (_, j) => ({
        ...(JSON.parse(pool[(from + j) % pool.length] as string) as object),
        id: `${tag}-${from + j}`,
      })),
    );
  }
  return out;
}

async function serial(log: Log, work: unknown[][]): Promise<void> {
  for (const b of work) await log.append(b);
}

async function pipelined(log: Log, work: unknown[][]): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (const b of work) {
    while (inflight.size >= 2) await Promise.race(inflight);
    let prepared!: () => void;
    const ready = new Promise<void>((r) => (prepared = r));
    const done: Promise<unknown> = log
      .append(b, { onPrepared: () => prepared() })
      .finally(() => inflight.delete(done));
    inflight.add(done);
    await Promise.race([ready, done]);
  }
  await Promise.all(inflight);
}

const modes = { serial, pipelined };
type Mode = keyof typeof modes;
const results: Record<Mode, string[]> = { serial: [], pipelined: [] };
const dir = await mkdtemp(join(tmpdir(), "logseal-bench-pipeline-"));
console.log(
  `${new Date().toISOString()}, node ${process.version}, ${total} events in batches of ${size}, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
try {
  for (let r = 0; r < rounds; r++) {
    const order: Mode[] = r % 2 === 0 ? ["serial", "pipelined"] : ["pipelined", "serial"];
    for (const mode of order) {
      const work = batches(`${mode}-${r}`);
      const log = await init(join(dir, `${mode}-${r}`), { origin: "example.com/bench/pipeline" });
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await modes[mode](log, work);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      await log.close();
      const line = `${Math.round(total / (ms / 1000)).toLocaleString("en-US")} events/s, ${(((cpu.user + cpu.system) / 1000 / total) * 1000).toFixed(1)} CPU ms per 1,000 events, main thread busy ${Math.round(elu.utilization * 100)}%`;
      results[mode].push(line);
      console.log(`round ${r + 1} ${mode.padEnd(9)} ${line} (load ${loadavg()[0]?.toFixed(2)})`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
