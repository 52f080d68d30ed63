/**
 * Privacy micro-benchmark (tinybench): the cost of masking at ingest, next to the cost of what
 * append does with every event anyway (validateEvent + encodeLeaf). Issue 6 asks that masking
 * cost at most half of append throughput, that is: mask time per event ≤ validate + encode
 * time per event, so that appending with masking runs at least at half the speed.
 *
 *   npx tsx bench/privacy.ts
 *
 * Inputs: the demo scenario's events (src/demo/scenario.ts, realistic, few sensitive values),
 * and the test corpus (test/privacy/corpus.ts): larger events with planted values of every
 * kind, and clean events of the same shape.
 */
import { Bench } from "tinybench";
import {
  completeEvent,
  DEFAULT_POLICY,
  demoScenario,
  type EventInput,
  encodeLeaf,
  maskEvent,
  validateEvent,
} from "../src/index.js";
import { cleanCorpus, piiCorpus } from "../test/privacy/corpus.js";

const AT = 1_764_000_000_000;
const sets: Array<[string, Record<string, unknown>[]]> = [
  ["demo", demoScenario({ days: 14 }).flatMap((d) => d.events)],
  ["planted", piiCorpus({ count: 500 }).map((e) => e.event)],
  ["clean", cleanCorpus({ count: 500 }).map((e) => e.event)],
];

const bench = new Bench({ time: 1000 });
const sizes: Record<string, number> = {};
for (const [name, raw] of sets) {
  const inputs: EventInput[] = raw.map((e) => validateEvent(e));
  const leafBytes = inputs.map((e) => encodeLeaf(completeEvent(e, AT)).length);
  sizes[name] = Math.round(leafBytes.reduce((a, b) => a + b, 0) / leafBytes.length);
  let i = 0;
  let j = 0;
  let k = 0;
  bench
    .add(`${name}: validateEvent + encodeLeaf`, () => {
      encodeLeaf(completeEvent(validateEvent(raw[i++ % raw.length]), AT));
    })
    .add(`${name}: maskEvent (default policy)`, () => {
      maskEvent(inputs[j++ % inputs.length] as EventInput, DEFAULT_POLICY, {});
    })
    .add(`${name}: validate + mask + encode`, () => {
      const masked = maskEvent(validateEvent(raw[k++ % raw.length]), DEFAULT_POLICY, {});
      encodeLeaf(completeEvent(masked.event, AT));
    });
}

await bench.run();
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log("average leaf size (bytes):", sizes);
console.table(bench.table());
