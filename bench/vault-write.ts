/**
 * The LevelDB side of the vault alone: the batches a masked append of the planted corpus
 * writes (captured once per vault layout at the store's `write`), written again into fresh
 * stores, with and without their vault records, rounds interleaved in one process. What the
 * write costs the process (all its threads: the JS of the batch, LevelDB's write-ahead log and
 * memtable, its flushes and compactions), per event and per masked value, without the noise of
 * masking itself.
 *
 *   flock /work/wt/bench.lock node --import tsx bench/vault-write.ts [N=10000] [ROUNDS=5]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigner, Log } from "../src/index.js";
import { prepareVault } from "../src/privacy/access.js";
import { PrivacyHook } from "../src/privacy/hook.js";
import { Vault } from "../src/privacy/vault.js";
import type { Put } from "../src/store/level-store.js";
import { LevelStore } from "../src/store/level-store.js";
import { piiCorpus } from "../test/privacy/corpus.js";

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BATCH = 1_000;
const ORIGIN = "example.com/logseal/bench";
const pool = piiCorpus({ count: Number(process.env.BENCH_POOL ?? 2_000) }).map((e) => e.event);
const root = await mkdtemp(join(tmpdir(), "logseal-vault-write-"));
let seq = 0;

type Batch = { puts: Put[]; size: number | undefined };

/** The batches a masked append of N planted events writes, with vault layout `layout`. */
async function capture(layout: 1 | 2): Promise<{ batches: Batch[]; values: number }> {
  const { skey, vkey } = generateSigner(ORIGIN);
  const vault = await prepareVault({});
  const store = await LevelStore.create(join(root, `capture-${seq++}`), {
    origin: ORIGIN,
    skey,
    vkey,
    ...vault,
  });
  const log = new Log(store);
  log.addTransform(new PrivacyHook(await Vault.load(store), { layout }));
  const batches: Batch[] = [];
  let values = 0;
  const write = store.write.bind(store);
  store.write = async (puts, size) => {
    batches.push({ puts: puts.map((p) => ({ key: p.key, value: p.value.slice() })), size });
    return write(puts, size);
  };
  for (let from = 0; from < N; from += BATCH) {
    await log.append(
      Array.from({ length: Math.min(BATCH, N - from) }, (_, j) => ({
        ...(pool[(from + j) % pool.length] as Record<string, unknown>),
        id: `e-${from + j}`,
      })),
      { now: 1_764_000_000_000 },
    );
  }
  for (const b of batches) for (const p of b.puts) if (p.key.startsWith("v/e/")) values += count(p);
  await log.close();
  return { batches, values };
}

/** The items of a layout-2 entry record. */
function count(p: Put): number {
  const v = Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength);
  let n = 0;
  for (let o = 0; o < v.length; o += 38 + v.readUInt32BE(o + 34)) n++;
  return n;
}

/** CPU µs (all threads) to write `batches` into a fresh store and close it. */
async function replay(batches: Batch[]): Promise<number> {
  const { skey, vkey } = generateSigner(ORIGIN);
  const store = await LevelStore.create(join(root, `replay-${seq++}`), {
    origin: ORIGIN,
    skey,
    vkey,
  });
  const c0 = process.cpuUsage();
  for (const b of batches) await store.write(b.puts, b.size);
  await store.close(); // the flushes and compactions the batches caused
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
try {
  const l1 = await capture(1);
  const l2 = await capture(2);
  const noVault = l2.batches.map((b) => ({
    ...b,
    puts: b.puts.filter((p) => !p.key.startsWith("v/")),
  }));
  const variants: Record<string, Batch[]> = {
    "no vault": noVault,
    "layout 1": l1.batches,
    "layout 2": l2.batches,
  };
  const records = (bs: Batch[]) =>
    bs.reduce((s, b) => s + b.puts.filter((p) => p.key.startsWith("v/")).length, 0);
  const bytes = (bs: Batch[]) =>
    bs.reduce(
      (s, b) =>
        s +
        b.puts
          .filter((p) => p.key.startsWith("v/"))
          .reduce((t, p) => t + p.key.length + p.value.length, 0),
      0,
    );
  const cpu = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
  for (const bs of Object.values(variants)) await replay(bs); // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, bs] of Object.entries(variants)) cpu.get(name)?.push(await replay(bs));
  }
  const values = l2.values;
  console.log(
    `load ${readFileSync("/proc/loadavg", "utf8").trim()}; N=${N}, ${values} values, rounds ${ROUNDS}`,
  );
  const base = median(cpu.get("no vault") ?? []);
  for (const [name, bs] of Object.entries(variants)) {
    const us = cpu.get(name) ?? [];
    const m = median(us);
    console.log(
      `${name.padEnd(9)} ${(m / N).toFixed(1)} µs CPU/event [${us.map((x) => (x / N).toFixed(1)).join(" ")}]; ` +
        `vault: ${(records(bs) / N).toFixed(2)} records, ${(bytes(bs) / N).toFixed(0)} bytes an event, ` +
        `${((m - base) / values).toFixed(1)} µs a value`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
