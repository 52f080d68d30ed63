/**
 * Where masking's time goes: appends the planted corpus (test/privacy/corpus.ts) through a
 * `Log` with only the privacy transform, as bench:privacy's "masking" mode, once to warm up and
 * once measured, and prints the CPU time an event; run it under `--cpu-prof` for the profile,
 * then summarise the profile with `node bench/cpuprofile-top.mjs FILE`:
 *
 *   flock /work/wt/bench.lock node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof \
 *     bench/privacy-profile.ts [N=10000] [masking|none]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigner, Log } from "../src/index.js";
import { attachPrivacy, prepareVault } from "../src/privacy/access.js";
import { LevelStore } from "../src/store/level-store.js";
import { piiCorpus } from "../test/privacy/corpus.js";

const N = Number(process.argv[2] ?? 10_000);
const MODE = process.argv[3] ?? "masking";
const BATCH = 1_000;
const AT = 1_764_000_000_000;
const ORIGIN = "example.com/logseal/bench";
const pool = piiCorpus({ count: Number(process.env.BENCH_POOL ?? 2_000) }).map((e) => e.event);
const root = await mkdtemp(join(tmpdir(), "logseal-privacy-profile-"));

async function run(tag: string): Promise<number> {
  const { skey, vkey } = generateSigner(ORIGIN);
  const vault = MODE === "masking" ? await prepareVault({}) : {};
  const dir = join(root, tag);
  const log = new Log(await LevelStore.create(dir, { origin: ORIGIN, skey, vkey, ...vault }));
  if (MODE === "masking") await attachPrivacy(log);
  const batches: Record<string, unknown>[][] = [];
  for (let from = 0; from < N; from += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, N - from) }, (_, j) => ({
        ...(pool[(from + j) % pool.length] as Record<string, unknown>),
        id: `${tag}-${from + j}`,
      })),
    );
  }
  const c0 = process.cpuUsage();
  for (const b of batches) await log.append(b, { now: AT });
  const c = process.cpuUsage(c0);
  await log.close();
  return (c.user + c.system) / N;
}

try {
  await run("warm");
  const us = await run("measured");
  console.log(`${MODE}: ${us.toFixed(1)} µs of CPU an event (planted corpus, N=${N})`);
} finally {
  await rm(root, { recursive: true, force: true });
}
