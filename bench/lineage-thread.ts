/**
 * What building the index records on a worker thread would cost the append's main thread just
 * to cross threads (issue 4's option (b)), measured on a real batch: one append of 10,000
 * events of bench:lineage's workload (bench/lineage-events.ts) gives the leaves as the append
 * path laid them out and the indexer's puts for them; then, many times, the main thread posts
 * the leaves to a worker (copied, or transferred) and receives the puts back (a structured
 * clone of keys and values), the worker doing nothing else. Prints the main thread's CPU time
 * an event for each, and the round trip's wall time.
 *
 *   npx tsx bench/lineage-thread.ts [--shape minimal|pipeline] [--rounds R]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { init, Log, lineageIndexer, type NewRecords } from "../src/index.js";
import { type Shape, workload } from "./lineage-events.js";

const { values: opts } = parseArgs({
  options: {
    shape: { type: "string", default: "minimal" },
    rounds: { type: "string", default: "200" },
  },
});
const ROUNDS = Number(opts.rounds);
const BATCH = 10_000;
const threadMs = (): number =>
  Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) / 1e6;

const tmp = await mkdtemp(join(tmpdir(), "logseal-bench-lineage-thread-"));
try {
  const x = await init(join(tmp, "s"), { origin: "example.com/logseal/thread" });
  const log = new Log(x.store);
  let laid: NewRecords | undefined;
  let sample: Array<{ key: string; value: Uint8Array }> = [];
  log.addContributor({
    name: "lineage",
    async puts(entries, store, records) {
      const puts = await lineageIndexer.puts(entries, store, records);
      laid = { bytes: (records as NewRecords).bytes.slice(), ends: (records as NewRecords).ends };
      sample = puts.map((p) => ({ key: p.key, value: Uint8Array.from(p.value as Uint8Array) }));
      return puts;
    },
  });
  const w = workload(10_000, "pipeline", opts.shape as Shape);
  // The second batch: the first names most assets for the first time (more records).
  for (let b = 0; b < 2; b++) await log.append(w.generate(b * BATCH, BATCH));
  await x.close();
  const { bytes, ends } = laid as NewRecords;
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     let puts;
     parentPort.on("message", (m) => {
       if (m.puts) { puts = m.puts; return; }
       parentPort.postMessage(puts);
     });`,
    { eval: true },
  );
  worker.postMessage({ puts: sample });
  const reply = () =>
    new Promise<unknown>((resolve) => {
      worker.once("message", resolve);
    });
  const result: Record<string, { cpuUs: number; wallMs: number }> = {};
  for (const mode of ["copy", "transfer", "copy", "transfer"]) {
    let cpu = 0;
    const t0 = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      const b = mode === "copy" ? bytes : bytes.slice(); // a fresh buffer to give away
      const got = reply();
      const c0 = threadMs();
      if (mode === "copy") worker.postMessage({ bytes: b, ends });
      else worker.postMessage({ bytes: b, ends }, [b.buffer as ArrayBuffer]);
      cpu += threadMs() - c0;
      await got; // receiving (the clone is read on this thread when the message is delivered)
    }
    const wall = performance.now() - t0;
    result[mode] = { cpuUs: (cpu * 1000) / (ROUNDS * BATCH), wallMs: wall / ROUNDS };
  }
  // The receive side alone: deserialising the puts on this thread.
  let recv = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const got = reply();
    worker.postMessage({});
    await new Promise((resolve) => setTimeout(resolve, 1));
    const c0 = threadMs();
    await got;
    recv += threadMs() - c0;
  }
  await worker.terminate();
  const load = readFileSync("/proc/loadavg", "latin1").split(" ")[0];
  console.log(
    `${opts.shape} events, batch of ${BATCH} (${bytes.length} bytes of leaves, ${sample.length} puts back), load ${load}`,
  );
  console.log(
    `post the leaves, copied: ${result.copy?.cpuUs.toFixed(3)} µs CPU an event on the main thread; transferred: ${result.transfer?.cpuUs.toFixed(3)}; round trip ${result.copy?.wallMs.toFixed(2)} / ${result.transfer?.wallMs.toFixed(2)} ms a batch`,
  );
  console.log(
    `receive the puts: ${((recv * 1000) / (ROUNDS * BATCH)).toFixed(3)} µs CPU an event on the main thread`,
  );
} finally {
  await rm(tmp, { recursive: true, force: true });
}
