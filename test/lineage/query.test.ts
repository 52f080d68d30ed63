/**
 * Event queries against a real store, checked against a brute-force filter of the same events;
 * pages stay stable while appends continue; bad queries fail clearly.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Log,
  LogsealError,
  parseTime,
  type QueryOptions,
  query,
  queryCursor,
  queryStream,
} from "../../src/index.js";
import { newLog } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;
const ACTORS = ["alice", "bob", "svc-ingest", "svc-trainer", "mallory"];
const ACTIONS = ["dataset.read", "dataset.ingest", "pii.mask", "run.start", "access.denied"];
const ASSETS = Array.from({ length: 12 }, (_, i) => `dataset:d${i}`);
const CONTROLS = ["A.5.9", "A.8.11", "A.8.15", "A.8.3"];
const OUTCOMES = ["success", "failure", "denied"] as const;

/** A deterministic event mix: some actors and values are rare, some common. */
function makeEvent(i: number): Record<string, unknown> {
  const r = (k: number) => (i * 7919 + k * 104729) % 1009;
  const actor = ACTORS[r(1) % 50 === 0 ? 4 : r(1) % 4] as string;
  return {
    // ts is not monotonic in the index: a late producer every 13th event.
    ts: T0 + i * 60_000 - (i % 13 === 0 ? 5 * HOUR : 0),
    actor: { id: actor },
    action: ACTIONS[r(2) % 5] as string,
    outcome: OUTCOMES[r(3) % 17 === 0 ? 2 : r(3) % 9 === 0 ? 1 : 0] as string,
    asset: ASSETS[r(4) % 12] as string,
    ...(r(5) % 3 === 0 ? { inputs: [ASSETS[(r(5) + 1) % 12] as string] } : {}),
    ...(r(6) % 4 === 0 ? { controls: CONTROLS.slice(r(6) % 4, (r(6) % 4) + 2) } : {}),
  };
}

interface Stored {
  index: number;
  e: Record<string, unknown> & { ts: number; actor: { id: string } };
}

function brute(events: Stored[], q: QueryOptions): number[] {
  const since = typeof q.since === "number" ? q.since : 0;
  const until = typeof q.until === "number" ? q.until : Number.POSITIVE_INFINITY;
  return events
    .filter(({ e }) => {
      const named = [e.asset, ...((e.inputs as string[]) ?? [])];
      return (
        (q.actor === undefined || e.actor.id === q.actor) &&
        (q.action === undefined || e.action === q.action) &&
        (q.outcome === undefined || e.outcome === q.outcome) &&
        (q.asset === undefined || named.includes(q.asset)) &&
        (q.control === undefined || ((e.controls as string[]) ?? []).includes(q.control)) &&
        e.ts >= since &&
        e.ts < until
      );
    })
    .map((s) => s.index);
}

async function all(log: Log, q: QueryOptions, limit: number): Promise<number[]> {
  const out: number[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await query(log.store, { ...q, limit, ...(cursor ? { cursor } : {}) });
    out.push(...page.entries.map((h) => h.index));
    cursor = page.cursor;
    if (!page.more) return out;
  }
  throw new Error("too many pages");
}

let log: Log;
let cleanup: () => Promise<void>;
const stored: Stored[] = [];
const N = 3000;

beforeAll(async () => {
  ({ log, cleanup } = await newLog());
  for (let from = 0; from < N; from += 1000) {
    const batch = Array.from({ length: 1000 }, (_, k) => makeEvent(from + k));
    await log.append(batch);
    batch.forEach((e, k) => {
      stored.push({ index: from + k, e: e as Stored["e"] });
    });
  }
});
afterAll(() => cleanup());

describe("query", () => {
  const cases: QueryOptions[] = [
    {},
    { actor: "mallory" },
    { actor: "alice", action: "dataset.read" },
    { asset: "dataset:d3" },
    { asset: "dataset:d3", outcome: "failure" },
    { control: "A.8.11", actor: "bob" },
    { actor: "mallory", outcome: "denied", action: "access.denied", asset: "dataset:d1" },
    { since: T0 + 10 * HOUR, until: T0 + 12 * HOUR },
    { actor: "svc-ingest", since: T0 + 5 * HOUR },
    { until: T0 },
    { actor: "nobody" },
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))(
    "%s gives the brute-force answer, in index order, page by page",
    async (_name, q) => {
      const expected = brute(stored, q);
      const first = await query(log.store, q);
      expect(first.entries.map((h) => h.index)).toEqual(expected.slice(0, 100));
      expect(first.more).toBe(expected.length > 100);
      for (const h of first.entries) expect(h.event).toMatchObject(stored[h.index]?.e ?? {});
      expect(await all(log, q, 37)).toEqual(expected);
    },
  );

  it("agrees with brute force on random filter combinations (property)", async () => {
    const opt = <T>(xs: readonly T[]) => fc.option(fc.constantFrom(...xs), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          actor: opt(ACTORS),
          action: opt(ACTIONS),
          asset: opt(ASSETS),
          control: opt(CONTROLS),
          outcome: opt(OUTCOMES),
          since: opt([T0, T0 + 7 * HOUR, T0 + 30 * HOUR]),
          until: opt([T0 + 3 * HOUR, T0 + 40 * HOUR]),
          limit: fc.integer({ min: 1, max: 400 }),
        }),
        async (raw) => {
          const q = Object.fromEntries(
            Object.entries(raw).filter(([, v]) => v !== undefined),
          ) as QueryOptions;
          const expected = brute(stored, q);
          const page = await query(log.store, q);
          expect(page.entries.map((h) => h.index)).toEqual(expected.slice(0, q.limit));
          expect(page.more).toBe(expected.length > (q.limit as number));
        },
      ),
      { numRuns: Number(process.env.LOGSEAL_FC_RUNS ?? 60) },
    );
  });

  it("keeps pages stable while appends continue: no duplicates, no gaps", async () => {
    const { log: l, cleanup: done } = await newLog();
    try {
      const mine: Stored[] = [];
      const add = async (from: number, n: number) => {
        const batch = Array.from({ length: n }, (_, k) => makeEvent(from + k));
        const base = l.size;
        await l.append(batch);
        batch.forEach((e, k) => {
          mine.push({ index: base + k, e: e as Stored["e"] });
        });
      };
      await add(0, 500);
      // A relative window: the cursor keeps the window of the first page.
      const q: QueryOptions = { actor: "alice", since: "-1000000d", now: T0 };
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 200; page++) {
        const stream = queryStream(l.store, { ...q, limit: 40, ...(cursor ? { cursor } : {}) });
        const sizeAtStart = l.size;
        let last: number | undefined;
        for await (const hit of stream) {
          // A batch lands in the middle of a page: the page stays within the size it began at.
          if (page < 6 && last === undefined) await add(500 + page * 300, 300);
          expect(hit.index).toBeLessThan(sizeAtStart);
          seen.push(hit.index);
          last = hit.index;
        }
        if (last === undefined) break;
        cursor = queryCursor(q, last);
      }
      const expected = brute(mine, { actor: "alice" });
      expect(mine).toHaveLength(2300);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expected);

      // Page by page with query(), appending between pages.
      const again: number[] = [];
      cursor = undefined;
      for (let page = 0; page < 200; page++) {
        const r = await query(l.store, { ...q, limit: 25, ...(cursor ? { cursor } : {}) });
        again.push(...r.entries.map((h) => h.index));
        cursor = r.cursor;
        if (page < 4) await add(10_000 + page * 100, 100);
        else if (!r.more) break;
      }
      expect(again).toEqual(brute(mine, { actor: "alice" }));
    } finally {
      await done();
    }
  });

  it("rejects bad filters, times, limits and cursors with E_USAGE", async () => {
    const bad: QueryOptions[] = [
      { outcome: "ok" },
      { action: "Dataset.Read" },
      { control: "8.11" },
      { asset: "no-kind" },
      { actor: "a\u0000b" },
      { since: "yesterday" },
      { until: "2026-02-30" },
      { limit: 0 },
      { limit: 1.5 },
      { cursor: "garbage" },
    ];
    for (const q of bad) {
      const e = await query(log.store, q).catch((x: unknown) => x);
      expect(e, JSON.stringify(q)).toBeInstanceOf(LogsealError);
      expect((e as LogsealError).code, JSON.stringify(q)).toBe("E_USAGE");
    }
    const { cursor } = await query(log.store, { actor: "alice", limit: 2 });
    const e = await query(log.store, { actor: "bob", cursor }).catch((x: unknown) => x);
    expect((e as LogsealError).message).toContain("other filters");
  });
});

describe("parseTime", () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  it("reads ISO 8601 and relative times", () => {
    expect(parseTime("now", now)).toBe(now);
    expect(parseTime("-24h", now)).toBe(now - 24 * HOUR);
    expect(parseTime("-7d", now)).toBe(now - 7 * 24 * HOUR);
    expect(parseTime("-30m", now)).toBe(now - 30 * 60_000);
    expect(parseTime("-2w", now)).toBe(now - 14 * 24 * HOUR);
    expect(parseTime("2026-11-26", now)).toBe(Date.UTC(2026, 10, 26));
    expect(parseTime("2026-11-26T08:00", now)).toBe(Date.UTC(2026, 10, 26, 8));
    expect(parseTime("2026-11-26T08:00:00Z", now)).toBe(Date.UTC(2026, 10, 26, 8));
    expect(parseTime("2026-11-26T08:00:00.123456Z", now)).toBe(
      Date.UTC(2026, 10, 26, 8, 0, 0, 123),
    );
    expect(parseTime("2026-11-26T10:00:00+02:00", now)).toBe(Date.UTC(2026, 10, 26, 8));
    expect(parseTime("2026-11-26T03:00:00-0500", now)).toBe(Date.UTC(2026, 10, 26, 8));
    expect(parseTime("2026-11-26 08:00:00", now)).toBe(Date.UTC(2026, 10, 26, 8));
  });
  it("rejects what it cannot read, naming the option", () => {
    for (const bad of [
      "",
      "yesterday",
      "24h",
      "-24",
      "2026-13-01",
      "2026-02-29",
      "2026-11-26T25:00",
      "-1y",
    ]) {
      const e = (() => {
        try {
          parseTime(bad, now, "--since");
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e, bad).toBeInstanceOf(LogsealError);
      expect((e as LogsealError).code).toBe("E_USAGE");
      expect((e as LogsealError).location?.field).toBe("--since");
    }
  });
});
