/**
 * The indexer: records written with each append equal those a full rebuild writes; stores
 * without indexes, or with indexes behind the log, are refused with "run 'logseal reindex'";
 * an interrupted rebuild resumes.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assets,
  INDEX_FORMAT,
  indexStatus,
  type Log,
  LogsealError,
  lineage,
  lineageIndexer,
  query,
  reindex,
} from "../../src/index.js";
import { derive, indexView, newLog, scanView, unindexed } from "./helpers.js";

let log: Log;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ log, cleanup } = await newLog());
});
afterEach(() => cleanup());

const scenario = (): Record<string, unknown>[] => [
  derive(["source:s3/raw"], ["dataset:raw"], { controls: ["A.5.9"] }),
  derive(["dataset:raw"], ["dataset:clean"], { actor: { id: "svc-pii" }, action: "pii.mask" }),
  {
    ts: 7,
    actor: { id: "erin" },
    action: "dataset.read",
    outcome: "success",
    asset: "dataset:clean",
  },
  {
    ts: 8,
    actor: { id: "bob" },
    action: "run.complete",
    outcome: "success",
    asset: "run:r1",
    inputs: ["dataset:clean", "model:m@1"],
    outputs: ["model:m@2"],
    controls: ["A.8.32", "A.5.9"],
  },
  {
    ts: 9,
    actor: { id: "mallory" },
    action: "access.denied",
    outcome: "denied",
    asset: "dataset:raw",
    inputs: ["dataset:raw"],
    outputs: ["file:exfil"],
  },
  {
    ts: 10,
    actor: { id: "carol" },
    action: "data.erase",
    outcome: "success",
    asset: "dataset:raw",
  },
  {
    ts: 11,
    actor: { id: "carol" },
    action: "data.erase",
    outcome: "failure",
    asset: "dataset:clean",
  },
];

async function expectStale(p: Promise<unknown>, text: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LogsealError);
  expect((e as LogsealError).code).toBe("E_INDEX_STALE");
  expect((e as LogsealError).message).toContain(text);
  expect((e as LogsealError).message).toContain("logseal reindex");
}

describe("the indexer", () => {
  it("writes with each append what a scan of the log gives, and so does a full rebuild", async () => {
    const events = scenario();
    await log.append(events.slice(0, 3));
    await log.append(events.slice(3, 4));
    await log.append(events.slice(4));
    const incremental = await indexView(log);
    expect(incremental.some((l) => l.startsWith('"x/up/'))).toBe(true);
    expect(incremental).toEqual(await scanView(log));
    expect(await reindex(log)).toEqual({ from: 0, to: 7, assets: 7 });
    expect(await indexView(log)).toEqual(incremental);
    expect(await indexStatus(log.store)).toMatchObject({
      format: INDEX_FORMAT,
      indexed: 7,
      current: true,
    });
  });

  it("keeps the inventory: first and last seen, events, last actor, erased", async () => {
    await log.append(scenario());
    const list = await assets(log.store);
    expect(list.map((a) => a.asset)).toEqual([
      "dataset:clean",
      "dataset:raw",
      "file:exfil",
      "model:m@1",
      "model:m@2",
      "run:r1",
      "source:s3/raw",
    ]);
    const raw = list.find((a) => a.asset === "dataset:raw");
    expect(raw).toMatchObject({
      kind: "dataset",
      first: 0,
      last: 5,
      events: 4,
      lastActor: "carol",
      erased: true,
      erasedAt: 5,
    });
    // A failed erase does not erase.
    expect(list.find((a) => a.asset === "dataset:clean")).toMatchObject({
      erased: false,
      events: 4,
    });
    expect((await assets(log.store, { kind: "model" })).map((a) => a.asset)).toEqual([
      "model:m@1",
      "model:m@2",
    ]);
    await expect(assets(log.store, { kind: "Bad Kind" })).rejects.toMatchObject({
      code: "E_USAGE",
    });
  });

  it("refuses stores without indexes until reindexed", async () => {
    await unindexed(log).append(scenario());
    await expectStale(lineage(log.store, "dataset:clean"), "no lineage and query indexes");
    await expectStale(query(log.store, { actor: "carol" }), "no lineage and query indexes");
    await expectStale(assets(log.store), "no lineage and query indexes");
    // The append-path indexer leaves indexes it cannot extend alone.
    const e = await log.get(6);
    expect(await lineageIndexer.puts([{ index: 6, event: e.event }], log.store)).toEqual([]);
    await reindex(log);
    expect((await lineage(log.store, "dataset:clean")).edges).toHaveLength(2);
  });

  it("refuses indexes that are behind the log, and a resumed reindex catches up", async () => {
    const events = scenario();
    await log.append(events.slice(0, 4));
    await unindexed(log).append(events.slice(4)); // a writer without the indexer
    await expectStale(query(log.store, {}), "cover 4 of the log's 7 entries");
    // The indexer leaves indexes it cannot extend alone: they stay stale.
    const next = await log.append([derive(["dataset:clean"], ["dataset:later"])]);
    await expectStale(query(log.store, {}), "cover 4 of the log's 8 entries");
    const e = await log.get(next[0]?.index as number);
    expect(await lineageIndexer.puts([{ index: 7, event: e.event }], log.store)).toEqual([]);
    expect(await reindex(log, { resume: true })).toMatchObject({ from: 4, to: 8 });
    const resumed = await indexView(log);
    await reindex(log);
    expect(await indexView(log)).toEqual(resumed);
  });

  it("leaves consistent indexes of a prefix when a rebuild stops, and resumes from there", async () => {
    const events = Array.from({ length: 700 }, (_, i) =>
      derive([`dataset:n${i % 7}`], [`dataset:n${(i * 3 + 1) % 11}`], {
        actor: { id: `u${i % 3}` },
      }),
    );
    for (const [a, b] of [
      [0, 100],
      [100, 300],
      [300, 301],
      [301, 700],
    ] as const) {
      await log.append(events.slice(a, b));
    }
    const full = await indexView(log);
    const stop = new Error("stop");
    await expect(
      reindex(log, {
        batch: 200,
        onProgress: () => {
          throw stop;
        },
      }),
    ).rejects.toBe(stop);
    // The first batch, written whole: the indexes of a prefix, nothing of an earlier build.
    expect(await indexStatus(log.store)).toMatchObject({ indexed: 200, current: false });
    await expectStale(lineage(log.store, "dataset:n1"), "cover 200 of the log's 700 entries");
    const prefix = (await scanView(log, 200)).filter((l) => !l.startsWith("{"));
    expect(await indexView(log)).toEqual(prefix);
    await reindex(log, { resume: true, batch: 7 });
    expect(await indexView(log)).toEqual(full);
    expect(full).toEqual(await scanView(log));
  });

  it("gives the same records when a batch is indexed again after its write failed", async () => {
    const events = scenario();
    await log.append(events.slice(0, 3));
    await unindexed(log).append(events.slice(3));
    const entries = [];
    for (let i = 3; i < 7; i++) entries.push({ index: i, event: (await log.get(i)).event });
    // The append path computes the puts, then the batch fails and is tried again.
    const first = await lineageIndexer.puts(entries, log.store);
    const again = await lineageIndexer.puts(entries, log.store);
    expect(again).toEqual(first);
    await log.store.write(again);
    const incremental = await indexView(log);
    await reindex(log);
    expect(await indexView(log)).toEqual(incremental);
  });

  it("builds the same records from leaves read in place, from each leaf, and from decoded events", async () => {
    const many = (k: string, n: number) => Array.from({ length: n }, (_, i) => `dataset:${k}${i}`);
    const events = [
      ...scenario(),
      // Names beyond ASCII, and an input × output product over 4096 (edges through entry:<i>).
      derive(["dataset:café/ü", "dataset:日本"], ["model:ø@1"], { actor: { id: "zoë" } }),
      derive(many("in", 65), [], { outputs: many("out", 65) }),
      derive(["model:ø@1"], ["model:ø@2"], { details: { rows: 5, tags: ["a", { b: [1.5, -2] }] } }),
    ];
    await log.append(events.slice(0, 3));
    await unindexed(log).append(events.slice(3));
    const entries = [];
    const leaves: Uint8Array[] = [];
    for (let i = 3; i < events.length; i++) {
      const e = await log.get(i);
      entries.push({ index: i, event: e.event, leaf: e.leaf });
      leaves.push(e.leaf);
    }
    // As the append path lays them out: uint16_be(len) ‖ leaf, back to back.
    const bytes = new Uint8Array(leaves.reduce((n, l) => n + 2 + l.length, 0));
    const ends = new Float64Array(leaves.length);
    let at = 0;
    leaves.forEach((l, j) => {
      bytes[at] = l.length >> 8;
      bytes[at + 1] = l.length & 0xff;
      bytes.set(l, at + 2);
      at += 2 + l.length;
      ends[j] = at;
    });
    const inPlace = await lineageIndexer.puts(entries, log.store, { bytes, ends });
    const byLeaf = await lineageIndexer.puts(entries, log.store);
    const byEvent = await lineageIndexer.puts(
      entries.map(({ index, event }) => ({ index, event })),
      log.store,
    );
    expect(inPlace.some((p) => p.key.startsWith("x/up/entry:"))).toBe(true);
    expect(byLeaf).toEqual(inPlace);
    expect(byEvent).toEqual(inPlace);
    await log.store.write(inPlace);
    expect(await indexView(log)).toEqual(await scanView(log));
  });

  it("gives the same records for any split of the appends (property)", async () => {
    const assetArb = fc.constantFrom("dataset:a", "dataset:b", "dataset:c", "model:m", "run:r");
    const eventArb = fc.record({
      inputs: fc.uniqueArray(assetArb, { maxLength: 3 }),
      outputs: fc.uniqueArray(assetArb, { maxLength: 2 }),
      asset: fc.option(assetArb, { nil: undefined }),
      actor: fc.constantFrom("alice", "bob"),
      outcome: fc.constantFrom("success", "failure", "denied"),
      erase: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        async (specs, splits) => {
          const { log: l, cleanup: done } = await newLog();
          try {
            const events = specs.map((s, i) => ({
              ts: 1000 + i,
              actor: { id: s.actor },
              action: s.erase ? "data.erase" : "dataset.transform",
              outcome: s.outcome,
              ...(s.asset === undefined ? {} : { asset: s.asset }),
              inputs: s.inputs,
              outputs: s.outputs,
            }));
            let at = 0;
            for (let k = 0; at < events.length; k++) {
              const n = splits[k % splits.length] as number;
              await l.append(events.slice(at, at + n));
              at += n;
            }
            const incremental = await indexView(l);
            expect(incremental).toEqual(await scanView(l));
            await reindex(l, { batch: 3 });
            expect(await indexView(l)).toEqual(incremental);
          } finally {
            await done();
          }
        },
      ),
      { numRuns: Number(process.env.LOGSEAL_FC_RUNS ?? 15) },
    );
  });
});
