/**
 * The append path, part by part (tinybench): validating, encoding and hashing a batch of
 * 10,000 demo events (≈ 300-byte leaves, the events of bench/scale.ts), growing the tiles, and
 * the whole `Log.append` of such a batch into a temporary LevelDB store.
 *
 *   npm run bench:append -- [BATCH=10000] [TIME_MS=2000]
 *
 * Every row is per event: the time of one pass over the batch divided by its size, as the
 * median and the fastest pass (on a shared machine the fastest is the steadier figure).
 *
 * The "msgpackr" rows answer whether msgpackr's own `pack` could write the canonical leaf:
 * it takes keys in insertion order (and JS lists integer-like keys first), writes integers
 * above 32 bits as float64 and bigints as int64 0xd3, so canonical bytes need sorted
 * Maps or key-sorted objects, bigints for large integers and a pass turning 0xd3 into 0xcf.
 * "as before" is the encoder this project had; "tuned" caches the fixed key orders and builds
 * Maps only for details objects whose keys JS would not list in byte order.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Packr } from "msgpackr";
import { Bench } from "tinybench";
import { compareUtf8 } from "../src/event/canonical.js";
import {
  CanonicalWriter,
  completeEvent,
  type Event,
  type EventInput,
  encodeInput,
  encodeLeaf,
  encodeValidated,
  validateEvent,
} from "../src/event/index.js";
import { demoScenario, init, type Log } from "../src/index.js";
import { appendToTiles } from "../src/merkle/append.js";
import { bundleLeafHashes, hashBackend } from "../src/merkle/batch.js";
import { leafHash } from "../src/merkle/hash.js";
import { bundleKey, idKey, tileKey } from "../src/store/layout.js";
import type { LevelStore, Put } from "../src/store/level-store.js";

const size = Number(process.argv[2] ?? 10_000);
const time = Number(process.argv[3] ?? 2_000);
const AT = 1_764_000_000_000;

const pool = demoScenario({ days: 40 }).flatMap((d) => d.events);
const batch = (from: number): Record<string, unknown>[] =>
  Array.from({ length: size }, (_, j) => ({
    ...(pool[(from + j) % pool.length] as Record<string, unknown>),
    id: `bench-${from + j}`,
  }));
const events = batch(0);
const inputs = events.map((e) => validateEvent(e));
const stored = inputs.map((e) => completeEvent(e, AT));
const leaves = stored.map((e) => encodeLeaf(e));

// The leaves as one run of entry-bundle records, as Log.append lays them out.
const writer = new CanonicalWriter(size * 400);
for (const e of inputs) {
  const p = writer.pos;
  writer.reserve(2);
  writer.pos += 2;
  const n = encodeValidated(e, e.ts ?? AT, AT, writer);
  writer.bytes[p] = n >>> 8;
  writer.bytes[p + 1] = n & 0xff;
}
const records = writer.bytes.slice(0, writer.pos);
const hashes = bundleLeafHashes(records, size) as Uint8Array;

// --- msgpackr, for comparison ----------------------------------------------------------------

const packr = new Packr({ useRecords: false, variableMapSize: true });
const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;

/** The encoder this project had: a tree of sorted Maps, bigints above 32 bits, then the fix. */
function msgpackrAsBefore(event: Event): Uint8Array {
  const out = new Uint8Array(packr.pack(asMaps(event)));
  fixUint64(out);
  return out;
}

function asMaps(x: unknown): unknown {
  if (typeof x === "number") return bigIfLarge(x);
  if (Array.isArray(x)) return x.map(asMaps);
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    const m = new Map<string, unknown>();
    for (const k of Object.keys(o).sort(compareUtf8)) m.set(k, asMaps(o[k]));
    return m;
  }
  return x;
}

function bigIfLarge(x: number): unknown {
  if (!Number.isSafeInteger(x)) return x;
  if (x === 0) return 0;
  return x > UINT32_MAX || x < INT32_MIN ? BigInt(x) : x;
}

const EVENT_KEYS = [
  "action",
  "actor",
  "asset",
  "at",
  "controls",
  "details",
  "id",
  "inputs",
  "outcome",
  "outputs",
  "ts",
  "v",
] as const;
const ACTOR_KEYS = ["id", "kind", "role"] as const;

/**
 * msgpackr as fast as it goes canonical: plain objects built in byte order for the fixed
 * top-level and actor keys (no sort), Maps only where JS would list keys out of byte order.
 */
function msgpackrTuned(e: Event): Uint8Array {
  const top: Record<string, unknown> = {};
  const src = e as unknown as Record<string, unknown>;
  for (const k of EVENT_KEYS) {
    const v = src[k];
    if (v === undefined) continue;
    if (k === "actor") {
      const a: Record<string, unknown> = {};
      const actor = v as Record<string, unknown>;
      for (const ak of ACTOR_KEYS) if (actor[ak] !== undefined) a[ak] = actor[ak];
      top[k] = a;
    } else if (k === "details") top[k] = tunedJson(v);
    else if (k === "at" || k === "ts") top[k] = bigIfLarge(v as number);
    else top[k] = v;
  }
  const out = new Uint8Array(packr.pack(top));
  fixUint64(out);
  return out;
}

function tunedJson(x: unknown): unknown {
  if (typeof x === "number") return bigIfLarge(x);
  if (Array.isArray(x)) return x.map(tunedJson);
  if (x === null || typeof x !== "object") return x;
  const o = x as Record<string, unknown>;
  const keys = Object.keys(o);
  const sorted = keys.slice().sort(compareUtf8);
  // Integer-like keys are listed first whatever the insertion order: a Map then.
  const plain = sorted.every((k) => !/^(0|[1-9]\d*)$/.test(k));
  if (plain) {
    const out: Record<string, unknown> = {};
    for (const k of sorted) out[k] = tunedJson(o[k]);
    return out;
  }
  const m = new Map<string, unknown>();
  for (const k of sorted) m.set(k, tunedJson(o[k]));
  return m;
}

/** 0xd3 with a non-negative payload becomes 0xcf (only integers above 32 bits are bigints). */
function fixUint64(b: Uint8Array): void {
  // A cheap walk that knows only the types the demo events contain.
  let pos = 0;
  while (pos < b.length) {
    const t = b[pos] as number;
    if (t === 0xd3 && (b[pos + 1] as number) < 0x80) b[pos] = 0xcf;
    if (t <= 0x7f || t >= 0xe0) pos += 1;
    else if (t <= 0x9f) pos += 1;
    else if (t <= 0xbf) pos += 1 + (t & 0x1f);
    else if (t === 0xc0 || t === 0xc2 || t === 0xc3) pos += 1;
    else if (t === 0xcc) pos += 2;
    else if (t === 0xcd) pos += 3;
    else if (t === 0xce) pos += 5;
    else if (t === 0xcb || t === 0xcf || t === 0xd3) pos += 9;
    else if (t === 0xd9) pos += 2 + (b[pos + 1] as number);
    else if (t === 0xda) pos += 3 + (((b[pos + 1] as number) << 8) | (b[pos + 2] as number));
    else throw new Error(`fixUint64: type 0x${t.toString(16)} is not handled here`);
  }
}

for (let i = 0; i < size; i++) {
  const want = Buffer.from(leaves[i] as Uint8Array);
  for (const [name, got] of [
    ["as before", msgpackrAsBefore(stored[i] as Event)],
    ["tuned", msgpackrTuned(stored[i] as Event)],
  ] as const) {
    if (!want.equals(got)) throw new Error(`msgpackr ${name} differs on event ${i}`);
  }
}

// --- the benchmark ---------------------------------------------------------------------------

/**
 * The store's share alone: the LevelDB traffic of one append (the id lookups, then one batch
 * with the bundles, about 40 hash tiles, an id index entry per event and the size), with no
 * event work at all.
 */
async function storeOnly(store: LevelStore, from: number): Promise<void> {
  const ids = Array.from({ length: size }, (_, j) => `floor-${from + j}`);
  await store.lookupIds(ids);
  const puts: Put[] = [];
  const perBundle = Math.ceil(size / 256);
  const bundleBytes = Math.ceil(records.length / perBundle);
  for (let b = 0; b < perBundle; b++) {
    const value = records.subarray(b * bundleBytes, (b + 1) * bundleBytes);
    puts.push({ key: bundleKey(Math.floor(from / 256) + b), value });
  }
  for (let t = 0; t <= perBundle; t++) {
    puts.push({ key: tileKey(0, Math.floor(from / 256) + t), value: hashes.subarray(0, 8192) });
  }
  const digits = new TextEncoder().encode(String(from));
  for (const id of ids) puts.push({ key: idKey(id), value: digits });
  await store.write(puts, from + size);
}

const dir = await mkdtemp(join(tmpdir(), "logseal-bench-append-"));
let log: Log | undefined;
let floor: Log | undefined;
let appended = 0;
let floorDone = 0;
const bench = new Bench({ time, warmupTime: 300, retainSamples: false });
bench
  .add("validateEvent", () => {
    for (const e of events) validateEvent(e);
  })
  .add("encodeLeaf(completeEvent(input)) (validates again)", () => {
    for (const e of inputs) encodeLeaf(completeEvent(e, AT));
  })
  .add("msgpackr as before (sorted Maps, bigints, 0xd3 fix)", () => {
    for (const e of stored) msgpackrAsBefore(e);
  })
  .add("msgpackr tuned (cached key order, bigints, 0xd3 fix)", () => {
    for (const e of stored) msgpackrTuned(e);
  })
  .add("encodeValidated (writer, from a validated copy)", () => {
    writer.pos = 0;
    for (const e of inputs as EventInput[]) encodeValidated(e, e.ts ?? AT, AT, writer);
  })
  .add("validateEvent + encodeValidated", () => {
    writer.pos = 0;
    for (const v of events) {
      const e = validateEvent(v);
      encodeValidated(e, e.ts ?? AT, AT, writer);
    }
  })
  .add("encodeInput (validate and write in one pass)", () => {
    writer.pos = 0;
    for (const v of events) encodeInput(v, AT, writer);
  })
  .add("leafHash, one per leaf", () => {
    for (const l of leaves) leafHash(l);
  })
  .add(`bundleLeafHashes, one call (${hashBackend})`, () => {
    bundleLeafHashes(records, size);
  })
  .add("appendToTiles (from size 0)", async () => {
    await appendToTiles(0, hashes, async () => new Uint8Array(0));
  })
  .add(
    "Log.append into LevelDB",
    async () => {
      await (log as Log).append(batch(appended));
      appended += size;
    },
    {
      beforeAll: async () => {
        // Once: tinybench calls this before the warm-up and again before the run.
        log ??= await init(join(dir, "store"), { origin: "example.com/logseal/bench" });
      },
    },
  );

bench.add(
  "the store alone (same LevelDB traffic, no event work)",
  async () => {
    await storeOnly((floor as Log).store, floorDone);
    floorDone += size;
  },
  {
    beforeAll: async () => {
      floor ??= await init(join(dir, "floor"), { origin: "example.com/logseal/bench" });
    },
  },
);

try {
  await bench.run();
} finally {
  await log?.close();
  await floor?.close();
  await rm(dir, { recursive: true, force: true });
}

const us = (ms: number) => ((ms * 1000) / size).toFixed(2);
console.log(
  `node ${process.version}, ${new Date().toISOString().slice(0, 10)}, batches of ${size}, ` +
    `hashing ${hashBackend}, average leaf ${Math.round(records.length / size - 2)} bytes`,
);
console.table(
  bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== "completed") {
      return { task: t.name, state: r.state, error: r.state === "errored" ? String(r.error) : "" };
    }
    return {
      task: t.name,
      "µs/event (median)": us(r.latency.p50),
      "µs/event (fastest)": us(r.latency.min),
      passes: t.runs,
    };
  }),
);
console.log(
  "Log.append rows include building the batch of events (the spread of bench/scale.ts); " +
    `${appended} events were appended in all.`,
);
