/**
 * The vault's batch AES-256-GCM (src/store/aead.ts): the native addon against node:crypto's
 * createCipheriv per value, on batches of values shaped like the planted corpus's (a 16-byte
 * salt and a 6–60 byte value, AAD of 67 bytes, 32-byte record prefix), CPU time a value,
 * alternating the two backends in one process.
 *
 *   npx tsx bench/aead.ts [VALUES=2500] [ROUNDS=5]
 */
import { randomBytes } from "node:crypto";
import {
  aeadBackend,
  loadNativeAead,
  type SealBatch,
  sealBatchNative,
  sealBatchNode,
} from "../src/store/aead.js";

const N = Number(process.argv[2] ?? 2_500);
const ROUNDS = Number(process.argv[3] ?? 5);
const { addon, error } = loadNativeAead();
if (addon === null) {
  console.error(`native AES-256-GCM not built (${error ?? "no addon"}): run node native/build.mjs`);
  process.exit(1);
}

const plainEnds = new Uint32Array(N);
const aadEnds = new Uint32Array(N);
let p = 0;
for (let i = 0; i < N; i++) {
  p += 16 + 6 + ((i * 37) % 55);
  plainEnds[i] = p;
  aadEnds[i] = 67 * (i + 1);
}
const batch: SealBatch = {
  keys: new Uint8Array(randomBytes(32 * N)),
  nonces: new Uint8Array(randomBytes(12 * N)),
  plain: new Uint8Array(randomBytes(p)),
  plainEnds,
  aad: new Uint8Array(randomBytes(67 * N)),
  aadEnds,
  prefix: new Uint8Array(randomBytes(32 * N)),
  prefixLength: 32,
};
const native = () => sealBatchNative(addon, batch);
const node = () => sealBatchNode(batch);

function cpuPerValue(f: () => Uint8Array, reps: number): number {
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (reps * N);
}

node();
native();
const results = { native: [] as number[], node: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  results.node.push(cpuPerValue(node, 4));
  results.native.push(cpuPerValue(native, 40));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `node ${process.version}, ${new Date().toISOString()}, backend in use: ${aeadBackend}, ${addon.implementation}`,
);
console.log(
  `${N} values a batch, median of ${ROUNDS} alternating rounds, µs of CPU a value: native ${median(results.native).toFixed(2)}, node:crypto ${median(results.node).toFixed(2)}`,
);
