/**
 * The pipelined append path (group commit pipelining): an append called while another is being
 * written is prepared meanwhile, on top of it, and written after it; over real LevelDB stores
 * made by `init` (masking, controls, the lineage and query indexes all registered).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AppendContributor,
  type Appended,
  indexStatus,
  init,
  isLogsealError,
  type Log,
  open,
  parseVkey,
  query,
  verifyLog,
} from "../../src/index.js";

const ORIGIN = "example.com/logseal/pipeline";
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "logseal-pipeline-")), "store");
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

const ev = (id: string, i: number, extra: Record<string, unknown> = {}) => ({
  id,
  ts: 1_700_000_000_000 + i,
  actor: { id: `svc-${i % 3}` },
  action: "dataset.read",
  outcome: "success",
  asset: `dataset:d${i % 5}`,
  inputs: [`dataset:raw${i % 4}`],
  outputs: [`dataset:d${i % 5}`],
  details: { contact: `person${i % 7}@example.org` },
  ...extra,
});
const batch = (tag: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ev(`${tag}-${i}`, from + i));

/** Resolves when `log` has written everything called so far and reopens nothing. */
async function verified(log: Log): Promise<boolean> {
  return (await verifyLog(log.store, { keys: [parseVkey(log.vkey)] })).ok;
}

describe("pipelined appends", () => {
  it("prepares an append while the one before is written; acknowledges in order; all durable", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const events: string[] = [];
    const calls: Array<Promise<Appended[]>> = [];
    // Batch k's write waits until batch k+1 is prepared: only a pipelined log gets past it
    // (a log that prepares after the write before would wait forever: the timeout fails it).
    const prepared = Array.from({ length: 12 }, () => {
      let done!: () => void;
      const p = new Promise<void>((r) => (done = r));
      return { p, done };
    });
    const timeout = (k: number) =>
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`batch ${k + 1} was not prepared while ${k} waited`)),
          5000,
        ),
      );
    for (let k = 0; k < 12; k++) {
      const p = log.append(batch(`b${k}`, 40), {
        onPrepared: (entries) => {
          events.push(`prepared ${k} at ${entries[0]?.index}`);
          prepared[k]?.done();
        },
        exclusive: async (write) => {
          if (k < 11) await Promise.race([prepared[k + 1]?.p, timeout(k)]);
          events.push(`write ${k}`);
          return write();
        },
      });
      void p.then(() => events.push(`written ${k}`));
      calls.push(p);
    }
    // Retry-safety across batches not yet written: batch 0's ids again, called with the others.
    const again = log.append(batch("b0", 40));
    const results = await Promise.all(calls);
    const repeated = await again;

    // Indexes in call order, contiguous; each batch prepared at the size the one before ends at.
    results.forEach((r, k) => {
      expect(r.map((x) => x.index)).toEqual(Array.from({ length: 40 }, (_, i) => k * 40 + i));
      expect(events).toContain(`prepared ${k} at ${k * 40}`);
    });
    expect(repeated.every((x, i) => x.duplicate && x.index === i)).toBe(true);
    // Written in call order, each batch prepared before the write of the one before it.
    const writes = events.filter((e) => e.startsWith("write "));
    expect(writes).toEqual(Array.from({ length: 12 }, (_, k) => `write ${k}`));
    for (let k = 0; k < 11; k++) {
      expect(events.indexOf(`prepared ${k + 1} at ${(k + 1) * 40}`)).toBeLessThan(
        events.indexOf(`write ${k}`),
      );
    }
    const written = events.filter((e) => e.startsWith("written"));
    expect(written).toEqual(Array.from({ length: 12 }, (_, k) => `written ${k}`));
    expect(log.size).toBe(480);
    await log.close();

    // Reopened: every event there once, the tree verifies, the indexes cover the whole log.
    const reopened = await open(dir);
    try {
      expect(reopened.size).toBe(480);
      const ids = results.flatMap((_, k) => batch(`b${k}`, 40).map((e) => e.id));
      const found = await reopened.store.lookupIds(ids);
      expect(found).toEqual(ids.map((_, i) => i));
      expect(await verified(reopened)).toBe(true);
      const status = await indexStatus(reopened.store);
      expect(status).toMatchObject({ indexed: 480, current: true });
      // The query indexes name every entry of one actor, batches written before and after.
      const hits = await query(reopened.store, { actor: "svc-1", limit: 1000 });
      expect(hits.entries.map((e) => e.index)).toEqual(
        Array.from({ length: 480 }, (_, i) => i).filter((i) => (i % 40) % 3 === 1),
      );
    } finally {
      await reopened.close();
    }
  });

  it("a failed write refuses the append prepared on it, and the next append starts from the store", async () => {
    const log = await init(dir, { origin: ORIGIN });
    await log.append(batch("first", 10));
    // A contributor whose put LevelDB refuses at write time (no value), for the batch that
    // holds the event with id "poison-3": its prepare succeeds, its write fails.
    const poison: AppendContributor = {
      name: "poison",
      puts: async (entries) =>
        entries.some((e) => e.event.id === "poison-3")
          ? [{ key: "z/poison", value: undefined as unknown as Uint8Array }]
          : [],
    };
    log.addContributor(poison);

    // The poisoned batch's write is held until the batch after it is prepared (on top of it).
    let release!: () => void;
    const nextPrepared = new Promise<void>((r) => (release = r));
    let preparedAt: number | undefined;
    const failing = log.append(batch("poison", 10, 10), {
      exclusive: async (write) => {
        await nextPrepared;
        return write();
      },
    });
    const refused = log.append(batch("after", 10, 20), {
      onPrepared: (entries) => {
        preparedAt = entries[0]?.index;
        release();
      },
    });
    const e1 = await failing.catch((e: unknown) => e);
    const e2 = await refused.catch((e: unknown) => e);
    expect(preparedAt).toBe(20); // prepared on top of the poisoned batch
    expect(isLogsealError(e1) && e1.code).toBe("E_IO");
    expect(isLogsealError(e2) && e2.code).toBe("E_IO");
    expect((e2 as Error).message).toMatch(/^not written: the append before it failed/);
    expect(log.size).toBe(10);

    // Nothing of either batch is in the store, and the memory did not run ahead of it: the
    // refused batch's ids are new, its events get the indexes after the first batch.
    const retried = await log.append(batch("after", 10, 20));
    expect(retried.map((r) => [r.index, r.duplicate])).toEqual(
      Array.from({ length: 10 }, (_, i) => [10 + i, false]),
    );
    const unpoisoned = batch("poison", 10, 10).filter((e) => e.id !== "poison-3");
    const r3 = await log.append(unpoisoned);
    expect(r3.map((r) => r.index)).toEqual(Array.from({ length: 9 }, (_, i) => 20 + i));
    expect(await log.store.lookupIds(["poison-3"])).toEqual([undefined]);
    expect(await verified(log)).toBe(true);
    expect(await indexStatus(log.store)).toMatchObject({ indexed: 29, current: true });
    const cp = await log.checkpoint();
    expect(cp.size).toBe(29);
    await log.close();

    const reopened = await open(dir);
    try {
      expect(reopened.size).toBe(29);
      expect(await verified(reopened)).toBe(true);
      const status = await indexStatus(reopened.store);
      expect(status).toMatchObject({ indexed: 29, current: true });
      const hits = await query(reopened.store, { asset: "dataset:d2", limit: 1000 });
      const want: number[] = [];
      for (let i = 0; i < 29; i++) {
        const e = (await reopened.get(i)).event;
        if (e.asset === "dataset:d2") want.push(i);
      }
      expect(hits.entries.map((e) => e.index)).toEqual(want);
    } finally {
      await reopened.close();
    }
  });

  it("a checkpoint signs every append called before it, and none called after", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const a = log.append(batch("a", 30));
    const b = log.append(batch("b", 30));
    const cp = log.checkpoint();
    const c = log.append(batch("c", 30));
    await Promise.all([a, b, c]);
    expect((await cp).size).toBe(60);
    expect(log.size).toBe(90);
    await log.close();
  });
});
