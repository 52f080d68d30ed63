/**
 * The indexes on the append path: a failed append leaves them as they were and the indexer's
 * cache unpoisoned; queries page through a log that grows under them, every match once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assets, isLogsealError, type Log, lineage, query, reindex } from "../../src/index.js";
import { derive, indexView, newLog, scanView, unindexed } from "./helpers.js";

let log: Log;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ log, cleanup } = await newLog());
});
afterEach(() => cleanup());

const read = (i: number, actor: string, asset: string) => ({
  ts: 1_795_000_000_000 + i * 1000,
  actor: { id: actor },
  action: "dataset.read",
  outcome: "success",
  asset,
});

describe("a failed append", () => {
  it.each([
    ["a later hook throws", () => Promise.reject(new Error("hook failed"))],
    // A value LevelDB refuses: the real batch write fails after the indexer built its records.
    ["the batch write fails", () => Promise.resolve([{ key: "z/bad", value: null as never }])],
  ])(
    "writes no index record when %s, and the next append indexes from the store",
    async (_, after) => {
      await log.append([derive(["dataset:a"], ["dataset:b"]), read(1, "alice", "dataset:b")]);
      await log.append([read(2, "bob", "dataset:b")]); // the indexer's cache now knows a and b
      const before = await indexView(log);
      let fail = true;
      log.addContributor({
        name: "fails-once",
        puts: async () => {
          if (!fail) return [];
          fail = false;
          return after();
        },
      });
      // Touches b (in the cache) and c, d (not): every kind of record the indexer writes.
      const err = await log
        .append([
          derive(["dataset:b"], ["dataset:c"], { actor: { id: "mallory" } }),
          derive(["dataset:c"], ["dataset:d"]),
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      if (isLogsealError(err)) expect(err.code).toBe("E_IO");
      expect(log.size).toBe(3);
      expect(await indexView(log)).toEqual(before);
      await expect(lineage(log.store, "dataset:c")).rejects.toMatchObject({
        code: "E_ASSET_UNKNOWN",
      });
      expect((await query(log.store, { actor: "mallory" })).entries).toEqual([]);

      // Other events at the same indexes: nothing of the failed batch may show through.
      await log.append([read(3, "carol", "dataset:b"), derive(["dataset:b"], ["dataset:e"])]);
      const b = (await assets(log.store)).find((x) => x.asset === "dataset:b");
      expect(b).toMatchObject({ events: 5, last: 4, lastActor: "svc-etl" });
      expect((await lineage(log.store, "dataset:b", { direction: "down" })).edges).toEqual([
        expect.objectContaining({ from: "dataset:b", to: "dataset:e", index: 4 }),
      ]);
      const incremental = await indexView(log);
      expect(incremental).toEqual(await scanView(log));
      await reindex(log);
      expect(await indexView(log)).toEqual(incremental);
    },
  );

  it("does not take a failed batch for written when a writer without hooks fills its place", async () => {
    await log.append([derive(["dataset:a"], ["dataset:b"])]);
    let fail = true;
    log.addContributor({
      name: "fails-once",
      puts: async () => {
        if (!fail) return [];
        fail = false;
        throw new Error("hook failed");
      },
    });
    const failed = [derive(["dataset:b"], ["dataset:c"]), read(1, "mallory", "dataset:c")];
    await expect(log.append(failed)).rejects.toThrow("hook failed");
    // The same number of entries, appended by a writer that does not index.
    await unindexed(log).append([read(2, "bob", "dataset:b"), read(3, "bob", "dataset:b")]);
    await log.append([read(4, "carol", "dataset:b")]);
    await expect(query(log.store, { actor: "bob" })).rejects.toMatchObject({
      code: "E_INDEX_STALE",
    });
    await reindex(log);
    expect((await query(log.store, { actor: "bob" })).entries.map((e) => e.index)).toEqual([1, 2]);
    expect((await query(log.store, { actor: "mallory" })).entries).toEqual([]);
  });
});

describe("queries while appends continue", () => {
  /** Appends `n` events from `from`, one in three by alice, naming one of four datasets. */
  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, k) => {
      const i = from + k;
      return read(i, i % 3 === 0 ? "alice" : `u${i % 5}`, `dataset:d${i % 4}`);
    });

  it("pages give every match exactly once, in order, new ones included", async () => {
    let appended = 0;
    const grow = async (n: number) => {
      const events = batch(appended, n);
      appended += n;
      await log.append(events);
    };
    await grow(300);
    for (const q of [
      { actor: "alice" },
      { actor: "alice", asset: "dataset:d1" },
      { since: 1_795_000_000_000 + 100_000 },
      {},
    ]) {
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 2000; page++) {
        // An append runs while the page is read, and one more between pages.
        const [p] = await Promise.all([
          query(log.store, { ...q, limit: 7, ...(cursor === undefined ? {} : { cursor }) }),
          page < 30 ? grow(1 + (page % 4) * 13) : Promise.resolve(),
        ]);
        seen.push(...p.entries.map((e) => e.index));
        cursor = p.cursor;
        if (page < 30 && page % 3 === 0) await grow(5);
        if (page >= 30 && !p.more && p.entries.length === 0) break;
      }
      // What a scan of the whole log finds.
      const expected: number[] = [];
      for (let i = 0; i < log.size; i++) {
        const e = (await log.get(i)).event;
        const since = (q as { since?: number }).since;
        if (q.actor !== undefined && e.actor.id !== q.actor) continue;
        if (
          (q as { asset?: string }).asset !== undefined &&
          e.asset !== (q as { asset?: string }).asset
        )
          continue;
        if (since !== undefined && e.ts < since) continue;
        expected.push(i);
      }
      expect(seen, JSON.stringify(q)).toEqual(expected);
    }
    expect(appended).toBeGreaterThan(2000);
  });
});
