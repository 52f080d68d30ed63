import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppendContributor, init, Log, lineageIndexer } from "../src/index.js";
import { prng } from "../src/demo/random.js";
const root = await mkdtemp(join(tmpdir(), "idx-"));
const a = await init(join(root, "a"), { origin: "example.com/a" });
const b = await init(join(root, "b"), { origin: "example.com/b" });
const plain = new Log(a.store);
const log = new Log(b.store);
let build = 0;
const timed: AppendContributor = { name: "lineage", async puts(e, s) { const t = performance.now(); const p = await lineageIndexer.puts(e, s); build += performance.now() - t; return p; } };
log.addContributor(timed);
const T0 = Date.UTC(2026, 0, 1);
function gen(from: number, n: number) {
  const r = prng(from + 1); const out: object[] = [];
  for (let i = from; i < from + n; i++) {
    const chain = Math.floor(r() * 500), level = 1 + Math.floor(r() * 19);
    const asset = `dataset:c${chain}/l${level}`;
    if (r() < 0.33) out.push({ ts: T0 + i * 1000, actor: { id: `svc-pipeline-${chain % 20}` }, action: "dataset.transform", outcome: "success", asset, inputs: [`dataset:c${chain}/l${level - 1}`], outputs: [asset], controls: ["A.8.32"] });
    else out.push({ ts: T0 + i * 1000, actor: { id: `user-${String(Math.floor(r() ** 1.5 * 500)).padStart(3, "0")}` }, action: "dataset.read", outcome: "success", asset });
  }
  return out;
}
let pm = 0, wm = 0;
const N = Number(process.argv[2] ?? 300000);
for (let d = 0; d < N; d += 10000) {
  const x = gen(d, 10000); let t = performance.now(); await plain.append(x, { now: T0 }); pm += performance.now() - t;
  const y = gen(d, 10000); t = performance.now(); await log.append(y, { now: T0 }); wm += performance.now() - t;
  if (d === 50000) { pm = 0; wm = 0; build = 0; }
}
const n = N - 60000;
console.log(`plain ${(pm * 1000 / n).toFixed(2)} µs/ev, with ${(wm * 1000 / n).toFixed(2)} µs/ev, build ${(build * 1000 / n).toFixed(2)} µs/ev, ratio ${(pm / wm).toFixed(3)}`);
await a.close(); await b.close(); await rm(root, { recursive: true, force: true });
