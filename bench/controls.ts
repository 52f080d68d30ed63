/**
 * The controls layer (tinybench): the append transform on a batch of 10,000 demo events (the
 * id check alone, and with the default policy mapping every action), a whole `Log.append` of
 * such a batch with each, and the evidence report and evidence bundle of a store of 100,000
 * demo events (once by scanning, once through the query indexes).
 *
 *   npm run bench:controls -- [BATCH=10000] [TIME_MS=2000] [STORE_EVENTS=100000]
 *
 * Rows are per event for the transform and the append, per report or bundle otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bench } from "tinybench";
import {
  type ControlsPolicy,
  controlsTransform,
  DEFAULT_CONTROLS_POLICY,
  demoScenario,
  demoSoa,
  evidenceReport,
  exportBundle,
  init,
  NO_CONTROLS_POLICY,
  reindex,
} from "../src/index.js";

const size = Number(process.argv[2] ?? 10_000);
const time = Number(process.argv[3] ?? 2_000);
const storeEvents = Number(process.argv[4] ?? 100_000);

const pool = demoScenario({ days: 40 }).flatMap((d) => d.events);
const batch = (from: number, n = size): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, j) => ({
    ...(pool[(from + j) % pool.length] as Record<string, unknown>),
    id: `bench-${from + j}`,
  }));
const events = batch(0);
const ctx = { locate: () => undefined, at: 1_764_000_000_000 };
const dir = await mkdtemp(join(tmpdir(), "logseal-bench-controls-"));

const bench = new Bench({ time });
const check = controlsTransform(NO_CONTROLS_POLICY);
const map = controlsTransform(DEFAULT_CONTROLS_POLICY);
bench.add("transform: id check only (no policy)", async () => {
  await check.apply(events, ctx);
});
bench.add("transform: id check + default policy", async () => {
  await map.apply(events, ctx);
});
for (const [name, policy] of [
  ["no policy", NO_CONTROLS_POLICY],
  ["default policy", DEFAULT_CONTROLS_POLICY],
] as Array<[string, ControlsPolicy]>) {
  const log = await init(join(dir, `append-${name.replace(" ", "-")}`), {
    origin: "example.com/bench",
    controlsPolicy: policy,
  });
  let from = 0;
  bench.add(`Log.append of ${size} (${name})`, async () => {
    from += size;
    await log.append(batch(from));
  });
}
await bench.run();
const perEvent = (name: string) => name.startsWith("transform") || name.startsWith("Log.append");
console.log(`controls, batch ${size}, Node ${process.version}`);
for (const t of bench.tasks) {
  const r = t.result;
  if (r === undefined || !("latency" in r)) continue;
  const div = perEvent(t.name) ? size : 1;
  const med = (r.latency.p50 ?? Number.NaN) / div;
  const min = r.latency.min / div;
  console.log(
    `${t.name.padEnd(44)} median ${(med * 1e3).toFixed(3)} µs/event  fastest ${(min * 1e3).toFixed(3)} µs/event`,
  );
}

// A store of demo events: evidence and bundles, scanning and through the indexes.
const log = await init(join(dir, "store"), {
  origin: "example.com/bench",
  controlsPolicy: DEFAULT_CONTROLS_POLICY,
});
for (let i = 0; i < storeEvents; i += size)
  await log.append(batch(i, Math.min(size, storeEvents - i)));
await log.checkpoint();
const soa = demoSoa();
const timeIt = async (name: string, fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  console.log(`${name.padEnd(44)} ${(performance.now() - t0).toFixed(0)} ms`);
};
console.log(`store of ${log.size} demo events`);
await timeIt("evidence report, demo SoA (scan)", () => evidenceReport(log, { soa }));
await timeIt("bundle, control A.8.11 (scan)", () => exportBundle(log, { control: "A.8.11" }));
await timeIt("reindex", () => reindex(log));
await timeIt("evidence report, demo SoA (indexes)", () => evidenceReport(log, { soa }));
await timeIt("bundle, control A.8.11 (indexes)", () => exportBundle(log, { control: "A.8.11" }));
await log.close();
await rm(dir, { recursive: true, force: true });
