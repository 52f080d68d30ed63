/**
 * Summarises a V8 .cpuprofile: self time by function (top 40) and the inclusive time of the
 * functions named in TOTAL (comma-separated, default the masking path's), as shares of all
 * samples.  node bench/cpuprofile-top.mjs FILE
 */
import { readFileSync } from "node:fs";

const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const counts = new Map();
for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const total = p.samples.length;
const name = (n) =>
  `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
const self = new Map();
const incl = new Map();
const wanted = (
  process.env.TOTAL ??
  "maskEvent,sealValues,keysFor,detect,commitValue,encodeLeaf,batch,apply,#place,validateEvent,completeEvent"
).split(",");
for (const [id, c] of counts) {
  const n = byId.get(id);
  const k = name(n);
  self.set(k, (self.get(k) ?? 0) + c);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const fn = byId.get(at).callFrame.functionName;
    if (wanted.includes(fn) && !seen.has(fn)) {
      seen.add(fn);
      incl.set(fn, (incl.get(fn) ?? 0) + c);
    }
  }
}
const pct = (c) => `${((c / total) * 100).toFixed(1)}%`;
console.log(`${total} samples`);
console.log("inclusive:");
for (const f of wanted) console.log(`  ${pct(incl.get(f) ?? 0).padStart(6)}  ${f}`);
console.log("self:");
for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40))
  console.log(`  ${pct(c).padStart(6)}  ${k}`);
