/**
 * The index format `logseal-index/3` against the log it indexes: after appends of every size,
 * after a writer killed between batches and reopened, and after a rebuild of a store that
 * holds indexes of an earlier format (`logseal-index/1`, `logseal-index/2`).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assets,
  INDEX_FORMAT,
  indexStatus,
  type Log,
  lineage,
  open,
  query,
  reindex,
  utf8,
} from "../../src/index.js";
import { logseal, ROOT } from "../cli/cli.js";
import { indexView, newLog, scanView, unindexed } from "./helpers.js";

let log: Log;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ log, dir, cleanup } = await newLog());
});
afterEach(() => cleanup());

/** Event i of a small pipeline: derivations along 5 chains, reads, erasures, denials. */
function event(i: number): Record<string, unknown> {
  const chain = i % 5;
  const level = Math.floor(i / 5) % 12;
  const ts = 1_795_000_000_000 + i * 7_000 - (i % 3) * 1_000_000; // not in index order
  const asset = `dataset:c${chain}/l${level}`;
  if (i % 7 === 3) {
    return {
      ts,
      actor: { id: `user-${i % 11}` },
      action: "dataset.read",
      outcome: "success",
      asset,
    };
  }
  if (i % 97 === 50) {
    return { ts, actor: { id: "dpo" }, action: "data.erase", outcome: "success", asset };
  }
  if (i % 13 === 4) {
    return { ts, actor: { id: "mallory" }, action: "access.denied", outcome: "denied", asset };
  }
  return {
    ts,
    actor: { id: `svc-${chain}` },
    action: "dataset.transform",
    outcome: i % 17 === 0 ? "failure" : "success",
    asset,
    inputs: [`dataset:c${chain}/l${(level + 11) % 12}`, `source:s${i % 4}`],
    outputs: [asset],
    controls: i % 2 === 0 ? ["A.8.32"] : ["A.8.32", "A.5.9"],
  };
}

describe("logseal-index/3", () => {
  it("indexes what a scan of the log finds, for appends of every size", async () => {
    let at = 0;
    for (const n of [1, 2, 255, 1, 700, 3, 40]) {
      await log.append(Array.from({ length: n }, (_, k) => event(at + k)));
      at += n;
      expect(await indexView(log)).toEqual(await scanView(log));
    }
    expect((await indexStatus(log.store)).format).toBe(INDEX_FORMAT);
  });

  it("reads the inventory from the postings of many segments as a scan gives it", async () => {
    const batch = 16_384;
    let at = 0;
    while (at < 4 * batch + 100) {
      await log.append(Array.from({ length: batch }, (_, k) => event(at + k)));
      at += batch;
    }
    const inventory = await assets(log.store);
    expect(inventory.length).toBeGreaterThan(10);
    expect(inventory).toEqual(
      (await scanView(log)).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)),
    );
    // A query spanning many segments pages through them all, in order, each match once.
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await query(log.store, { actor: "user-4", limit: 1000, cursor });
      seen.push(...page.entries.map((e) => e.index));
      cursor = page.more ? page.cursor : undefined;
    } while (cursor !== undefined);
    const expected: number[] = [];
    for (let i = 0; i < at; i++) if (i % 7 === 3 && i % 11 === 4) expected.push(i);
    expect(seen).toEqual(expected);
  }, 120_000);

  it("keeps the indexes consistent with the log when the writer is killed between batches", async () => {
    const store = join(dir, "store");
    await log.close();
    // A real writer process appending batches of varying sizes until it is killed.
    const src = pathToFileURL(join(ROOT, "dist", "src", "index.js")).href;
    const script = `
      const { open } = await import(${JSON.stringify(src)});
      ${event.toString()}
      const log = await open(${JSON.stringify(store)});
      let at = 0;
      for (let b = 0; ; b++) {
        const n = [1, 300, 17, 64, 1000][b % 5];
        await log.append(Array.from({ length: n }, (_, k) => event(at + k)));
        at += n;
        process.stdout.write(at + "\\n");
      }`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      let lines = 0;
      child.stdout.on("data", (d: Buffer) => {
        lines += d.toString().split("\n").length - 1;
        if (lines >= 12) resolve();
      });
      child.on("exit", () => reject(new Error(`the writer ended: ${stderr}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));

    log = await open(store);
    expect(log.size).toBeGreaterThan(1000);
    expect(await indexStatus(log.store)).toMatchObject({ indexed: log.size, current: true });
    expect(await indexView(log)).toEqual(await scanView(log));
    // A new writer, which knows nothing of the killed one's batches, goes on from the store.
    const size = log.size;
    await log.append(Array.from({ length: 500 }, (_, k) => event(size + k)));
    expect(await indexView(log)).toEqual(await scanView(log));
  }, 60_000);

  it("refuses indexes of logseal-index/1 until 'logseal reindex' rebuilds them", async () => {
    await unindexed(log).append(Array.from({ length: 300 }, (_, k) => event(k)));
    // What a logseal of the previous format left: its metadata and records of its layout.
    await log.store.write([
      { key: "meta/index", value: utf8("logseal-index/1") },
      { key: "meta/indexed", value: utf8("300") },
      { key: "x/f/actor\u0000svc-1\u00000000000000000000", value: Uint8Array.of(1, 2) },
      { key: "x/t/0001794999600000\u00000000000000000256", value: Uint8Array.of(1, 2) },
      { key: "x/a/dataset:c1/l0", value: utf8('{"kind":"dataset"}') },
    ]);
    await expect(query(log.store, { actor: "svc-1" })).rejects.toMatchObject({
      code: "E_INDEX_STALE",
      message: expect.stringContaining('"logseal-index/1"'),
    });
    await expect(lineage(log.store, "dataset:c1/l1")).rejects.toMatchObject({
      code: "E_INDEX_STALE",
    });
    // The append path leaves indexes of another format alone.
    await log.append([event(300)]);
    expect((await indexStatus(log.store)).format).toBe("logseal-index/1");
    await log.close();

    const store = join(dir, "store");
    const q = await logseal(["query", "--actor", "svc-1", "--store", store]);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain("E_INDEX_STALE");
    expect(q.stderr).toContain(`logseal reindex --store ${store}`);
    const r = await logseal(["reindex", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^indexed 301 entries naming \d+ assets \(logseal-index\/3\)\n/);

    log = await open(store);
    const keys: string[] = [];
    for await (const [k] of log.store.iterate({ gte: "x/", lt: "x0" })) keys.push(k);
    expect(keys.filter((k) => k.startsWith("x/f/"))).toEqual([]);
    expect(await indexView(log)).toEqual(await scanView(log));
    expect((await query(log.store, { actor: "svc-1" })).entries.length).toBeGreaterThan(0);
  }, 60_000);

  it("refuses indexes of logseal-index/2 until 'logseal reindex' rebuilds them", async () => {
    await unindexed(log).append(Array.from({ length: 300 }, (_, k) => event(k)));
    // What a logseal of logseal-index/2 left: its metadata, an inventory delta and a
    // per-asset record with the members this format no longer keeps.
    await log.store.write([
      { key: "meta/index", value: utf8("logseal-index/2") },
      { key: "meta/indexed", value: utf8("300") },
      { key: "meta/inventory", value: utf8("0") },
      { key: "x/i/0000000000000000", value: Uint8Array.of(5, 1, 2, 3) },
      {
        key: "x/a/dataset:c1/l1",
        value: utf8(
          '{"kind":"dataset","first":0,"firstTs":1,"last":9,"lastTs":2,"events":4,"lastActor":"x","erased":false}',
        ),
      },
    ]);
    for (const read of [
      () => query(log.store, { actor: "svc-1" }),
      () => assets(log.store),
      () => lineage(log.store, "dataset:c1/l1"),
    ]) {
      await expect(read()).rejects.toMatchObject({
        code: "E_INDEX_STALE",
        message: expect.stringContaining('"logseal-index/2"'),
      });
    }
    // The append path leaves indexes of another format alone.
    await log.append([event(300)]);
    expect((await indexStatus(log.store)).format).toBe("logseal-index/2");
    await log.close();

    const store = join(dir, "store");
    const a = await logseal(["assets", "--store", store]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("logseal-index/2");
    expect(a.stderr).toContain(`logseal reindex --store ${store}`);
    const r = await logseal(["reindex", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^indexed 301 entries naming \d+ assets \(logseal-index\/3\)\n/);

    log = await open(store);
    const keys: string[] = [];
    for await (const [k] of log.store.iterate({ gte: "x/", lt: "x0" })) keys.push(k);
    expect(keys.filter((k) => k.startsWith("x/i/"))).toEqual([]);
    expect(await indexView(log)).toEqual(await scanView(log));
    await log.close();
    const l = await logseal(["assets", "--json", "--store", store]);
    expect(l.code, l.stderr).toBe(0);
    log = await open(store);
    expect(JSON.parse(l.stdout)).toEqual(
      (await scanView(log)).filter((x) => x.startsWith("{")).map((x) => JSON.parse(x)),
    );
  }, 60_000);

  it("answers time windows exactly at batch boundaries and on equal timestamps", async () => {
    const T = 1_795_000_000_000;
    const HOUR = 3_600_000;
    // ts by entry: runs of equal values that straddle the appends (sizes 3, 1, 4, 2, 5),
    // one on an hour boundary, and a late producer going back across it.
    const tsOf = [T, T, T + 1, T + 1, T + 1, T + HOUR, T + HOUR, T + HOUR, T + HOUR - 1, T + HOUR];
    tsOf.push(T + HOUR, T + 2 * HOUR, T + 2 * HOUR, T, T + 2 * HOUR);
    let at = 0;
    for (const n of [3, 1, 4, 2, 5]) {
      await log.append(
        Array.from({ length: n }, (_, k) => ({ ...event(at + k), ts: tsOf[at + k] as number })),
      );
      at += n;
    }
    const bounds = [T - 1, T, T + 1, T + 2, T + HOUR - 1, T + HOUR, T + 2 * HOUR, T + 2 * HOUR + 1];
    for (const since of [undefined, ...bounds]) {
      for (const until of [undefined, ...bounds]) {
        for (const actor of [undefined, "svc-1"]) {
          const want = tsOf
            .map((ts, i) => ({ ts, i, actor: (event(i).actor as { id: string }).id }))
            .filter(
              (x) =>
                (since === undefined || x.ts >= since) &&
                (until === undefined || x.ts < until) &&
                (actor === undefined || x.actor === actor),
            )
            .map((x) => x.i);
          const page = await query(log.store, { since, until, actor, limit: 1000 });
          expect(
            page.entries.map((e) => e.index),
            `since ${since} until ${until} actor ${actor}`,
          ).toEqual(want);
        }
      }
    }
  });

  it("a full rebuild removes the records of an earlier build cut into other segments", async () => {
    await log.append(Array.from({ length: 1000 }, (_, k) => event(k)));
    await reindex(log, { batch: 333 });
    expect(await indexView(log)).toEqual(await scanView(log));
    const keys: string[] = [];
    for await (const [k] of log.store.iterate({ gte: "x/p/", lt: "x/p0" })) keys.push(k);
    // Segments 0, 333, 666, 999 only: the append's one segment of 1000 is gone.
    expect(new Set(keys.map((k) => Number(k.slice(-16))))).toEqual(new Set([0, 333, 666, 999]));
  });
});
