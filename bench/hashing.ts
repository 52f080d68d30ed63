/**
 * Hashing throughput (tinybench): per-call `leafHash` / `nodeHash` against the batch functions
 * of `src/merkle/batch.ts` on both backends, the node:crypto reference (`batch-js.ts`) and the
 * native addon (`native/hash.c`, SHA-NI and portable C), on a realistic 256-entry bundle of
 * demo leaves (about 300 bytes each) and on 128 pairs (one level of a full tile).
 *
 *   npm run bench:hashing              (native/build.mjs must have built the addon)
 *
 * Reports leaves/s and node hashes/s on one core (the benchmark is single-threaded).
 */
import { loadavg } from "node:os";
import { Bench } from "tinybench";
import { completeEvent, demoScenario, encodeLeaf, validateEvent } from "../src/index.js";
import { bundleLeafHashesJs, hashPairsJs, perfectRootJs } from "../src/merkle/batch-js.js";
import { loadNativeHashing } from "../src/merkle/batch-native.js";
import { encodeEntryBundle } from "../src/merkle/bundle.js";
import { HASH_SIZE, leafHash, nodeHash } from "../src/merkle/hash.js";

const WIDTH = 256;

const events = demoScenario({ days: 60 }).flatMap((d) => d.events);
const leaves = events
  .slice(0, WIDTH)
  .map((e) => encodeLeaf(completeEvent(validateEvent(e), 1_764_000_000_000)));
const avgLeaf = Math.round(leaves.reduce((n, l) => n + l.length, 0) / leaves.length);
const bundle = encodeEntryBundle(leaves);
const leafHashes = bundleLeafHashesJs(bundle, WIDTH) as Uint8Array;
const pairs = leafHashes; // 256 hashes = 128 pairs
const a = leafHashes.subarray(0, HASH_SIZE);
const b = leafHashes.subarray(HASH_SIZE, 2 * HASH_SIZE);

const load = loadNativeHashing();
const addon = load.addon;
if (addon === null) {
  console.warn(`native addon not available (${load.error ?? "not built"}): js only`);
}
const impls = addon === null ? [] : (["sha-ni", "portable"] as const);

/** Items (hashes) per task call, for the per-item columns. */
const items = new Map<string, number>();
const bench = new Bench({ time: 1000, warmup: true });
function add(name: string, perCall: number, fn: () => void): void {
  items.set(name, perCall);
  bench.add(name, fn);
}

let i = 0;
add(`leafHash per call (${avgLeaf}-byte leaves)`, 1, () => {
  leafHash(leaves[i++ % WIDTH] as Uint8Array);
});
add("nodeHash per call", 1, () => {
  nodeHash(a, b);
});
add(`bundleLeafHashes js (${WIDTH} leaves)`, WIDTH, () => {
  bundleLeafHashesJs(bundle, WIDTH);
});
for (const impl of impls) {
  add(`bundleLeafHashes native ${impl} (${WIDTH} leaves)`, WIDTH, () => {
    addon?.bundleLeafHashes(bundle, WIDTH);
  });
}
add(`hashPairs js (${WIDTH / 2} pairs)`, WIDTH / 2, () => {
  hashPairsJs(pairs);
});
for (const impl of impls) {
  add(`hashPairs native ${impl} (${WIDTH / 2} pairs)`, WIDTH / 2, () => {
    addon?.hashPairs(pairs);
  });
}
add(`perfectRoot js (${WIDTH} hashes, ${WIDTH - 1} nodes)`, WIDTH - 1, () => {
  perfectRootJs(leafHashes);
});
for (const impl of impls) {
  add(`perfectRoot native ${impl} (${WIDTH} hashes)`, WIDTH - 1, () => {
    addon?.perfectRoot(leafHashes);
  });
}

// Each native task runs with its own implementation selected (process-wide in the addon).
for (const task of bench.tasks) {
  const impl = impls.find((m) => task.name.includes(`native ${m}`));
  if (impl !== undefined) {
    task.addEventListener("start", () => {
      addon?.setImplementation(impl);
    });
  }
}

await bench.run();
addon?.setImplementation("sha-ni");

console.log(
  `node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}, native: ${addon === null ? "none" : "sha-ni and portable measured"}`,
);
const fmt = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
console.table(
  bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== "completed") return { task: t.name, state: r.state };
    const per = items.get(t.name) ?? 1;
    const ops = r.throughput.p50;
    return {
      task: t.name,
      "calls/s (median)": fmt(ops),
      "µs/call": (1e6 / ops).toFixed(2),
      "hashes/s": fmt(ops * per),
      "ns/hash": (1e9 / (ops * per)).toFixed(0),
      "±%": r.latency.rme.toFixed(1),
    };
  }),
);
