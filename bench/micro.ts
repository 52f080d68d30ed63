/**
 * Micro-benchmarks of the hot paths (tinybench): leaf and node hashing, canonical leaf
 * encoding, checkpoint signing and opening.
 *
 *   npm run bench:micro
 */
import { Bench } from "tinybench";
import {
  completeEvent,
  demoScenario,
  encodeLeaf,
  generateSigner,
  leafHash,
  nodeHash,
  openCheckpoint,
  parseSkey,
  parseVkey,
  signCheckpoint,
  validateEvent,
} from "../src/index.js";

const events = demoScenario({ days: 4 }).flatMap((d) => d.events);
const inputs = events.map((e) => validateEvent(e));
const leaves = inputs.map((e) => encodeLeaf(completeEvent(e, Date.now())));
const a = leafHash(leaves[0] as Uint8Array);
const b = leafHash(leaves[1] as Uint8Array);
const { skey, vkey } = generateSigner("example.com/logseal/bench");
const signer = parseSkey(skey);
const verifier = parseVkey(vkey);
const note = signCheckpoint(
  { origin: "example.com/logseal/bench", size: 1234, root: a, extensions: [] },
  signer,
);
const avgLeaf = Math.round(leaves.reduce((n, l) => n + l.length, 0) / leaves.length);

const bench = new Bench({ time: 500 });
let i = 0;
bench
  .add(`leafHash (${avgLeaf}-byte leaves)`, () => {
    leafHash(leaves[i++ % leaves.length] as Uint8Array);
  })
  .add("nodeHash", () => {
    nodeHash(a, b);
  })
  .add("validateEvent + encodeLeaf", () => {
    const e = events[i++ % events.length];
    encodeLeaf(completeEvent(validateEvent(e), 1_764_000_000_000));
  })
  .add("signCheckpoint (Ed25519)", () => {
    signCheckpoint(
      { origin: "example.com/logseal/bench", size: i++, root: a, extensions: [] },
      signer,
    );
  })
  .add("openCheckpoint (Ed25519 verify)", () => {
    openCheckpoint(note, [verifier], "example.com/logseal/bench");
  });

await bench.run();
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.table(bench.table());
