/**
 * The lineage indexer's build step alone, on recorded batches: the CPU time of the main thread
 * that `lineageIndexer.puts` takes an event, without the rest of the append and without
 * LevelDB's threads (which `process.cpuUsage` would count).
 *
 *   npx tsx bench/lineage-build.ts [--events N] [--shape minimal|pipeline] [--rounds R]
 *
 * The batches (10,000 events of bench:lineage's pipeline workload, bench/lineage-events.ts) are
 * appended once to a store without hooks, and their leaves kept; each round then gives them, in
 * order, to the indexer over a fresh store, as the append path does (`NewEntry` with the leaf),
 * writing only `meta/indexed` after each so that the next batch is indexed (the records built
 * are dropped: they do not change what the next batch builds). Prints each round's CPU time an
 * event (main thread, from /proc/thread-self/schedstat) and the records an event.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  decodeLeaf,
  init,
  Log,
  lineageIndexer,
  type NewEntry,
  type NewRecords,
} from "../src/index.js";
import { type Shape, workload } from "./lineage-events.js";

const { values: opts } = parseArgs({
  options: {
    events: { type: "string", default: "200000" },
    shape: { type: "string", default: "minimal" },
    rounds: { type: "string", default: "5" },
  },
});
const N = Number(opts.events);
const ROUNDS = Number(opts.rounds);
const BATCH = 10_000;
const w = workload(10_000, "pipeline", opts.shape as Shape);
const threadMs = (): number =>
  Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) / 1e6;

const tmp = await mkdtemp(join(tmpdir(), "logseal-bench-lineage-build-"));
try {
  // Record the leaves as the append path encodes them.
  const batches: Array<{ entries: NewEntry[]; records: NewRecords }> = [];
  const source = await init(join(tmp, "source"), { origin: "example.com/logseal/source" });
  const log = new Log(source.store);
  log.addContributor({
    name: "record",
    async puts(entries, _store, records) {
      const laid = records as NewRecords;
      batches.push({
        records: { bytes: laid.bytes.slice(), ends: laid.ends.slice() },
        entries: entries.map((e) => {
          const leaf = (e.leaf as Uint8Array).slice();
          return {
            index: e.index,
            leaf,
            get event() {
              return decodeLeaf(leaf);
            },
          };
        }),
      });
      return [];
    },
  });
  for (let done = 0; done < N; done += BATCH) {
    await log.append(w.generate(done, Math.min(BATCH, N - done)), { now: 1_795_000_000_000 });
  }
  await source.close();
  const load0 = readFileSync("/proc/loadavg", "latin1").split(" ")[0];
  const rounds: number[] = [];
  let records = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const x = await init(join(tmp, `r${r}`), { origin: "example.com/logseal/build" });
    let cpu = 0;
    records = 0;
    for (const batch of batches) {
      const t0 = threadMs();
      const puts = await lineageIndexer.puts(batch.entries, x.store, batch.records);
      cpu += threadMs() - t0;
      records += puts.length;
      // Only what lets the next batch be indexed: meta/indexed (and meta/index, in the puts).
      await x.store.write(puts.filter((p) => p.key.startsWith("meta/")));
    }
    await x.close();
    rounds.push((cpu * 1000) / N);
  }
  const load1 = readFileSync("/proc/loadavg", "latin1").split(" ")[0];
  const sorted = [...rounds].sort((a, b) => a - b);
  console.log(
    `${N} events (${opts.shape}), ${ROUNDS} rounds, load ${load0} → ${load1}: building the index records ${rounds.map((x) => x.toFixed(2)).join(", ")} µs CPU an event (main thread; median ${sorted[Math.floor(ROUNDS / 2)]?.toFixed(2)}), ${(records / N).toFixed(3)} records an event`,
  );
} finally {
  await rm(tmp, { recursive: true, force: true });
}
