/** The append path's hooks (transforms and contributors) over a real LevelDB store. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AppendContributor,
  type AppendTransform,
  init,
  isLogsealError,
  LogsealError,
  open,
  parseVkey,
  utf8,
  verifyLog,
} from "../../src/index.js";

const ORIGIN = "example.com/logseal/hooks";
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "logseal-hooks-")), "store");
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

const ev = (i: number, extra: Record<string, unknown> = {}) => ({
  ts: 1_700_000_000_000 + i,
  actor: { id: `u${i}` },
  action: "dataset.read",
  outcome: "success",
  ...extra,
});

/** Upper-cases the action and asks for a side record per event. */
const shout: AppendTransform = {
  name: "shout",
  apply: async (values) => ({
    values: values.map((v) => ({
      ...(v as object),
      action: `${(v as { action: string }).action}.x`,
    })),
    puts: values.map((v) => [
      { key: `z/side/${(v as { id?: string }).id ?? "-"}`, value: utf8("1") },
    ]),
    // The entry index the append gave each input; none for a duplicate.
    placed: async (indexes) =>
      indexes.flatMap((index, i) =>
        index === undefined ? [] : [{ key: `z/at/${index}`, value: utf8(String(i)) }],
      ),
  }),
};

describe("append hooks", () => {
  it("a transform's output is what gets signed; its puts land only for appended events", async () => {
    const log = await init(dir, { origin: ORIGIN });
    log.addTransform(shout);
    await log.append([ev(0, { id: "a" })]);
    const r = await log.append([ev(1, { id: "a" }), ev(2, { id: "b" }), ev(3, { id: "b" })]);
    expect(r.map((x) => [x.index, x.duplicate])).toEqual([
      [0, true],
      [1, false],
      [1, true],
    ]);
    expect((await log.get(0)).event.action).toBe("dataset.read.x");
    expect((await log.get(1)).event.action).toBe("dataset.read.x");
    const side: string[] = [];
    for await (const [k] of log.store.iterate({ gte: "z/side/", lt: "z/side0" })) side.push(k);
    expect(side).toEqual(["z/side/a", "z/side/b"]);
    const placed: string[] = [];
    for await (const [k, v] of log.store.iterate({ gte: "z/at/", lt: "z/at0" })) {
      placed.push(`${k}=${Buffer.from(v).toString()}`);
    }
    expect(placed).toEqual(["z/at/0=0", "z/at/1=1"]);
    // Every log opened by init or open also has the hooks registered there: privacy masking
    // and the controls check and mapping (before any transform added later), and the lineage
    // and query indexes.
    expect(log.hooks).toEqual({
      transforms: ["privacy", "controls", "shout"],
      contributors: ["lineage"],
    });
    await log.checkpoint();
    const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
    expect(report.ok).toBe(true);
    await log.close();
  });

  it("a contributor sees every new entry once, with its index, and its puts are in the batch", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const seen: Array<[number, string]> = [];
    const counter: AppendContributor = {
      name: "counter",
      puts: async (entries) => {
        for (const e of entries) seen.push([e.index, e.event.actor.id]);
        return entries.map((e) => ({ key: `z/c/${e.index}`, value: utf8(e.event.action) }));
      },
    };
    log.addContributor(counter);
    await log.append([ev(0, { id: "x" }), ev(1)]);
    await log.append([ev(2, { id: "x" }), ev(3), ev(4)]);
    expect(seen).toEqual([
      [0, "u0"],
      [1, "u1"],
      [2, "u3"],
      [3, "u4"],
    ]);
    const keys: string[] = [];
    for await (const [k] of log.store.iterate({ gte: "z/c/", lt: "z/c0" })) keys.push(k);
    expect(keys).toEqual(["z/c/0", "z/c/1", "z/c/2", "z/c/3"]);
    await log.close();
  });

  it("a transform that throws rejects the batch and nothing is written", async () => {
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev(0)]);
    log.addTransform({
      name: "strict",
      apply: async (_values, ctx) => {
        throw new LogsealError("E_EVENT_INVALID", "no", { location: ctx.locate(1) ?? {} });
      },
    });
    const err = await log
      .append([ev(1), ev(2)], { locate: (i) => ({ file: "in.jsonl", line: i + 1 }) })
      .catch((e: unknown) => e);
    expect(isLogsealError(err) && err.location).toEqual({ file: "in.jsonl", line: 2 });
    expect(log.size).toBe(1);
    await log.close();
    const again = await open(dir);
    expect(again.size).toBe(1);
    await again.close();
  });
});

describe("what the store keeps in memory", () => {
  it("the latest checkpoint follows every checkpoint written, also when a read overlaps the write", async () => {
    const log = await init(dir, { origin: ORIGIN });
    expect(await log.latestCheckpoint()).toBeUndefined();
    await log.append([ev(0)]);
    const reading = log.latestCheckpoint(); // overlaps the write below
    const first = await log.checkpoint();
    await reading;
    expect((await log.latestCheckpoint())?.note).toBe(first.note);
    await log.append([ev(1), ev(2)]);
    const second = await log.checkpoint();
    expect(await log.latestCheckpoint()).toEqual(second);
    expect(second.size).toBe(3);
    expect((await log.proveInclusion(2)).size).toBe(3);
    await log.close();
  });
});
