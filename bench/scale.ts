/**
 * The large-scale driver: appends N realistic events to a fresh LevelDB store in batches,
 * signs checkpoints, then verifies the whole store, and prints the rates.
 *
 *   npm run bench:scale -- [N=100000] [BATCH=1000]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoScenario, init, parseVkey, verifyLog } from "../src/index.js";

const n = Number(process.argv[2] ?? 100_000);
const batch = Number(process.argv[3] ?? 1_000);
const pool = demoScenario({ days: 40 }).flatMap((d) => d.events);
const dir = await mkdtemp(join(tmpdir(), "logseal-bench-"));
try {
  const log = await init(join(dir, "store"), { origin: "example.com/logseal/bench" });
  let t = performance.now();
  for (let done = 0; done < n; done += batch) {
    const k = Math.min(batch, n - done);
    const events = Array.from({ length: k }, (_, j) => {
      const e = pool[(done + j) % pool.length] as Record<string, unknown>;
      return { ...e, id: `bench-${done + j}` };
    });
    await log.append(events);
    if ((done / batch) % 10 === 9) await log.checkpoint();
  }
  await log.checkpoint();
  const appendSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
  const verifySeconds = (performance.now() - t) / 1000;
  await log.close();
  console.log(
    `node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${n} events, batches of ${batch}`,
  );
  console.log(
    `append: ${Math.round(n / appendSeconds).toLocaleString("en-US")} events/s (${appendSeconds.toFixed(1)} s)`,
  );
  console.log(
    `verify: ${Math.round(n / verifySeconds).toLocaleString("en-US")} events/s (${verifySeconds.toFixed(1)} s), ok=${report.ok}, ${report.checkpoints.length} checkpoints`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
