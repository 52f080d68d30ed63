/**
 * The prepared append path (src/prepare.ts and `Log.appendPrepared`), which the server's ingest
 * workers feed, against `Log.append` on the same events: over two real stores that start as
 * copies of one `init`ed store (the same signer, vault key and pseudonym key), with masking,
 * controls and the lineage and query indexes registered. The prepared events cross a real
 * structured clone with their buffers transferred, as they cross the thread boundary.
 * The only difference allowed is the random part of masking: each masked value's salt, hence
 * its commitment (and the vault records keyed by it, and the data keys drawn per subject).
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Appended,
  DEFAULT_CONTROLS_POLICY,
  decodeLeaf,
  demoScenario,
  init,
  isLogsealError,
  type Log,
  MASKED_FIELD,
  open,
  parseEntryBundle,
  parseVkey,
  revealEntry,
  verifyLog,
} from "../../src/index.js";
import {
  concatPrepared,
  type PreparedEvents,
  Preparer,
  preparedTransfer,
} from "../../src/prepare.js";
import { piiCorpus } from "../privacy/corpus.js";

const ORIGIN = "example.com/logseal/prepared";
const AT = 1_790_000_000_123;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "logseal-prepared-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Two stores, copies of one just made by `init` (controls policy, vault, indexes). */
async function twins(name: string): Promise<[Log, Log]> {
  const a = join(root, `${name}-a`);
  const b = join(root, `${name}-b`);
  const log = await init(a, { origin: ORIGIN, controlsPolicy: DEFAULT_CONTROLS_POLICY });
  await log.close();
  await cp(a, b, { recursive: true });
  return [await open(a), await open(b)];
}

/** What a worker thread sends: prepared by a preparer built from a clone of the log's spec. */
function prepareAcross(log: Log, values: readonly unknown[], at = AT): PreparedEvents {
  const spec = log.prepareSpec();
  if (spec === undefined) throw new Error("the log has no prepare spec");
  const prepared = new Preparer(structuredClone(spec)).prepare(structuredClone(values), at);
  return structuredClone(prepared, { transfer: preparedTransfer(prepared) });
}

/** An event with producer id `id` and one personal value (masked, sealed in the vault). */
const idEvent = (id: string, i: number) => ({
  id,
  ts: 1_790_000_000_000 + i,
  actor: { id: "svc" },
  action: "dataset.read",
  outcome: "success",
  details: { who: `p${i}@example.org` },
});

const nonAscii = Array.from({ length: 12 }, (_, i) => ({
  id: `intl-${i}`,
  ts: 1_790_000_000_000 + i,
  actor: { id: `opérateur-${i % 3}`, kind: "user", role: "ingénieur" },
  action: i % 2 === 0 ? "dataset.read" : "pii.mask",
  outcome: "success",
  asset: `dataset:données/clients-${i % 4}`,
  inputs: [`dataset:生データ/${i % 3}`],
  outputs: [`dataset:données/clients-${i % 4}`],
  details: {
    note: `Zoë Müller <zoë.müller${i}@example.de> rief an: +49 30 1234567${i % 10}`,
    kontakt: `jürgen${i}@exämple.org`,
    名前: "山田太郎 😀",
    card: i % 3 === 0 ? "4111 1111 1111 1111" : "keine",
    nested: { ip: `192.168.${i}.17`, emoji: "🔒✓" },
  },
}));

/** Demo events, events with planted personal data of every kind, and non-ASCII events. */
function corpus(): unknown[] {
  const demo = demoScenario({ days: 14 }).flatMap((d) => d.events);
  const planted = piiCorpus({ count: 150 }).map((c) => c.event);
  return [...demo.slice(0, 300), ...planted, ...nonAscii];
}

/** Every leaf of a log, in order. */
async function leaves(log: Log): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const { bytes } of log.store.bundles(0, Math.ceil(log.size / 256))) {
    out.push(...(parseEntryBundle(bytes) ?? []));
  }
  return out.slice(0, log.size);
}

/** The event with each masked value's commitment (salted, random) blanked. */
function unsalted(leaf: Uint8Array): unknown {
  const e = decodeLeaf(leaf) as { details?: Record<string, unknown> };
  const masked = e.details?.[MASKED_FIELD] as Array<{ commit: string }> | undefined;
  for (const m of masked ?? []) m.commit = "";
  return e;
}

/** The records of a store under `prefix` ("" for all), by key, values in hex. */
async function records(log: Log, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const range = prefix === "" ? {} : { gte: prefix, lt: `${prefix}\xff` };
  for await (const [k, v] of log.store.iterate(range)) {
    out.set(k, Buffer.from(v).toString("hex"));
  }
  return out;
}

/** Every record but the tree's (bundles, tiles, checkpoints) and the vault's. */
async function others(log: Log): Promise<Map<string, string>> {
  const out = await records(log, "");
  for (const k of out.keys()) if (/^(b|t|c|v)\//.test(k)) out.delete(k);
  return out;
}

/** The vault's `v/e/<index>` records: the entries that hold sealed values. */
const vaultEntries = (m: Map<string, unknown>) => [...m.keys()].filter((k) => k.startsWith("v/e/"));
/** The subjects with a data key record (`v/k/<sid>/<kid>/<index>`). */
const vaultSubjects = (m: Map<string, unknown>) =>
  [
    ...new Set([...m.keys()].filter((k) => k.startsWith("v/k/")).map((k) => k.split("/")[2])),
  ].sort();

describe("Log.appendPrepared", () => {
  it("stores what Log.append stores: leaves, masks, vault values, indexes", async () => {
    const [a, b] = await twins("same");
    const events = corpus();
    expect(events.length).toBeGreaterThan(400);
    // Three batches, as three group commits: the second prepared while the first is written.
    const cuts = [0, 170, 320, events.length];
    const ra: Appended[] = [];
    const rb: Array<Promise<Appended[]>> = [];
    for (let k = 0; k < 3; k++) {
      const part = events.slice(cuts[k], cuts[k + 1]);
      ra.push(...(await a.append(part, { now: AT })));
      rb.push(b.appendPrepared([prepareAcross(b, part)]));
    }
    expect((await Promise.all(rb)).flat()).toEqual(ra);
    expect(b.size).toBe(a.size);
    expect(a.size).toBe(events.length);

    const la = await leaves(a);
    const lb = await leaves(b);
    let masked = 0;
    let identical = 0;
    for (let i = 0; i < la.length; i++) {
      const x = la[i] as Uint8Array;
      const y = lb[i] as Uint8Array;
      expect(y.length, `leaf ${i}`).toBe(x.length);
      const ex = unsalted(x) as { details?: Record<string, unknown> };
      expect(unsalted(y), `leaf ${i}`).toEqual(ex);
      if (ex.details?.[MASKED_FIELD] === undefined) {
        expect(Buffer.from(y).equals(Buffer.from(x)), `leaf ${i}`).toBe(true);
        identical++;
      } else masked++;
    }
    expect(masked).toBeGreaterThan(150); // the planted corpus, the non-ASCII events, some demo
    expect(identical).toBeGreaterThan(100);

    // The id index, the lineage and query indexes and the metadata, record for record.
    const oa = await others(a);
    expect(await others(b)).toEqual(oa);
    expect([...oa.keys()].filter((k) => k.startsWith("i/id/")).length).toBe(events.length);
    expect([...oa.keys()].filter((k) => k.startsWith("x/")).length).toBeGreaterThan(100);
    // The vault (layout 2, formats/storage.md): the same entries holding sealed values and the
    // same subjects (subject ids are keyed, not random; data key ids are), as many records;
    // each masked value opens to the same clear value, and its commitment checks.
    const va = await records(a, "v/");
    const vb = await records(b, "v/");
    expect(vaultEntries(vb)).toEqual(vaultEntries(va));
    expect(vaultEntries(va).length).toBe(masked);
    expect(vaultSubjects(vb)).toEqual(vaultSubjects(va));
    expect(vaultSubjects(va).length).toBeGreaterThan(300);
    expect(vb.size).toBe(va.size);
    for (let i = 0; i < la.length; i++) {
      const e = decodeLeaf(la[i] as Uint8Array) as { details?: Record<string, unknown> };
      if (e.details?.[MASKED_FIELD] === undefined) continue;
      if (i % 7 !== 0 && i < events.length - nonAscii.length) continue; // a sample, and every non-ASCII one
      const x = await revealEntry(a, i, { actor: "test" });
      const y = await revealEntry(b, i, { actor: "test" });
      const clear = (r: typeof x) =>
        r.values.map((v) => [v.path, v.kind, v.at, v.value, v.subject, v.verified]);
      expect(clear(y), `entry ${i}`).toEqual(clear(x));
      expect(y.values.every((v) => v.verified === true)).toBe(true);
    }
    expect((await verifyLog(b.store, { keys: [parseVkey(b.vkey)] })).ok).toBe(true);
    await a.close();
    await b.close();
  }, 60_000);

  it("catches a duplicate id across prepared batches, pending appends and one group", async () => {
    const [, b] = await twins("dup");
    const first = b.appendPrepared([prepareAcross(b, [idEvent("x1", 0), idEvent("x2", 1)])]);
    // Prepared while the first is not written yet: ids of the pending batch are seen.
    const second = b.appendPrepared([
      prepareAcross(b, [idEvent("x3", 2), idEvent("x2", 3)]),
      prepareAcross(b, [idEvent("x3", 4), idEvent("x4", 5)]),
    ]);
    const third = b.append([idEvent("x4", 6), idEvent("x1", 7), idEvent("x5", 8)]);
    expect(await first).toEqual([
      { index: 0, duplicate: false, id: "x1" },
      { index: 1, duplicate: false, id: "x2" },
    ]);
    expect(await second).toEqual([
      { index: 2, duplicate: false, id: "x3" },
      { index: 1, duplicate: true, id: "x2" },
      { index: 2, duplicate: true, id: "x3" },
      { index: 3, duplicate: false, id: "x4" },
    ]);
    expect(await third).toEqual([
      { index: 3, duplicate: true, id: "x4" },
      { index: 0, duplicate: true, id: "x1" },
      { index: 4, duplicate: false, id: "x5" },
    ]);
    // And once written, from the store.
    expect(await b.appendPrepared([prepareAcross(b, [idEvent("x5", 9)])])).toEqual([
      { index: 4, duplicate: true, id: "x5" },
    ]);
    expect(b.size).toBe(5);
    // The vault holds the values of the appended events only: one entry and subject each.
    const vault = await records(b, "v/");
    expect(vaultEntries(vault)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `v/e/${String(i).padStart(16, "0")}`),
    );
    expect(vaultSubjects(vault).length).toBe(5);
    await b.close();
  });

  it("prefetched ids: a duplicate written after the prefetch was asked is still caught", async () => {
    const [, b] = await twins("prefetch");
    await b.append([idEvent("old", 0)]);
    // Asked before "p1" and "p2" are appended (and "p2" written), answered after.
    const late = prepareAcross(b, [
      idEvent("p1", 1),
      idEvent("p2", 2),
      idEvent("old", 3),
      idEvent("new", 4),
    ]);
    b.prefetchIds(late);
    await b.append([idEvent("p2", 5)]);
    const pending = b.append([idEvent("p1", 6)]); // prepared, maybe not yet written
    expect(await b.appendPrepared([late])).toEqual([
      { index: 2, duplicate: true, id: "p1" },
      { index: 1, duplicate: true, id: "p2" },
      { index: 0, duplicate: true, id: "old" },
      { index: 3, duplicate: false, id: "new" },
    ]);
    await pending;
    // Older than the writes kept for it (256): looked up afresh, still right.
    const stale = prepareAcross(b, [idEvent("s0", 7), idEvent("new", 8)]);
    b.prefetchIds(stale);
    await b.append([idEvent("s0", 8)]);
    for (let i = 0; i < 300; i++) await b.append([idEvent(`fill-${i}`, 9 + i)]);
    expect(await b.appendPrepared([stale])).toEqual([
      { index: 4, duplicate: true, id: "s0" },
      { index: 3, duplicate: true, id: "new" },
    ]);
    // A group of prefetched batches with a repeat across them.
    const g1 = prepareAcross(b, [idEvent("g1", 500), idEvent("g2", 501)]);
    const g2 = prepareAcross(b, [idEvent("g2", 502), idEvent("fill-7", 503)]);
    b.prefetchIds(g1);
    b.prefetchIds(g2);
    expect(await b.appendPrepared([g1, g2])).toEqual([
      { index: 305, duplicate: false, id: "g1" },
      { index: 306, duplicate: false, id: "g2" },
      { index: 306, duplicate: true, id: "g2" },
      { index: 12, duplicate: true, id: "fill-7" },
    ]);
    expect(b.size).toBe(307);
    await b.close();
  });

  it("prefetched ids: a write that failed after reaching the store, and the kept ids' bound", async () => {
    const [, b] = await twins("prefetch-fail");
    // A caller's exclusive section that fails after the write it ran: the append is refused,
    // but its batch is in the store, and a prefetch asked before must not miss it.
    const asked = prepareAcross(b, [idEvent("landed", 1), idEvent("fresh", 2)]);
    b.prefetchIds(asked);
    const failing = b.appendPrepared([prepareAcross(b, [idEvent("landed", 0)])], {
      exclusive: async (write) => {
        await write();
        throw new Error("the lock could not be released");
      },
    });
    await expect(failing).rejects.toThrow("the lock could not be released");
    const answer = await b.appendPrepared([asked]);
    expect(answer[0]).toMatchObject({ duplicate: true, id: "landed" });
    expect(answer[1]).toMatchObject({ duplicate: false, id: "fresh" });

    // More than 65,536 ids written after the prefetch: the oldest write's are no longer kept,
    // so the prefetch is looked up again.
    const late = prepareAcross(b, [idEvent("early", 3), idEvent("later", 4)]);
    b.prefetchIds(late);
    const early = await b.append([idEvent("early", 5)]);
    for (let k = 0; k < 7; k++) {
      await b.append(Array.from({ length: 10_000 }, (_, i) => idEvent(`bulk-${k}-${i}`, 6 + i)));
    }
    const again = await b.appendPrepared([late]);
    expect(again[0]).toEqual({ index: early[0]?.index, duplicate: true, id: "early" });
    expect(again[1]).toMatchObject({ duplicate: false, id: "later" });
    await b.close();
  }, 60_000);

  it("rejects bad events with the codes and locations of Log.append, writing nothing", async () => {
    const [a, b] = await twins("bad");
    const good = {
      ts: 1_790_000_000_000,
      actor: { id: "svc" },
      action: "dataset.read",
      outcome: "success",
    };
    const cases: unknown[][] = [
      [good, { ...good, outcome: "maybe" }],
      [good, good, { ...good, actor: { id: 7 } }],
      [{ ...good, controls: ["A.5.1", "A.12.4.1"] }],
      [good, { ...good, details: { big: "é".repeat(40_000) } }],
      [{ ...good, ts: -1 }],
      [7],
    ];
    for (const values of cases) {
      const locate = (i: number) => ({ file: "in.jsonl", line: i + 1 });
      let ea: unknown;
      let eb: unknown;
      try {
        await a.append(values, { now: AT, locate });
      } catch (e) {
        ea = e;
      }
      try {
        const spec = b.prepareSpec();
        if (spec === undefined) throw new Error("no spec");
        await b.appendPrepared([new Preparer(spec).prepare(values, AT, locate)]);
      } catch (e) {
        eb = e;
      }
      expect(isLogsealError(ea), JSON.stringify(values).slice(0, 80)).toBe(true);
      const summary = (e: unknown) => {
        const x = e as { code: string; message: string; location?: unknown };
        return { code: x.code, message: x.message, location: x.location };
      };
      expect(summary(eb)).toEqual(summary(ea));
    }
    expect(a.size).toBe(0);
    expect(b.size).toBe(0);
    await a.close();
    await b.close();
  });

  it("concatenates prepared batches as one", () => {
    const p = (n: number, tag: string) =>
      new Preparer([]).prepare(
        Array.from({ length: n }, (_, i) => ({
          id: `${tag}${i}`,
          ts: 1,
          actor: { id: "a" },
          action: "x.y",
          outcome: "success",
        })),
        AT,
      );
    const all = new Preparer([]).prepare(
      Array.from({ length: 5 }, (_, i) => ({
        id: i < 2 ? `a${i}` : `b${i - 2}`,
        ts: 1,
        actor: { id: "a" },
        action: "x.y",
        outcome: "success",
      })),
      AT,
    );
    const joined = concatPrepared([p(2, "a"), p(3, "b")]);
    expect(joined.count).toBe(5);
    expect(Buffer.from(joined.records).equals(Buffer.from(all.records))).toBe(true);
    expect([...joined.ends]).toEqual([...all.ends]);
    expect(
      Buffer.from(joined.hashes as Uint8Array).equals(Buffer.from(all.hashes as Uint8Array)),
    ).toBe(true);
    expect(joined.ids).toEqual(all.ids);
  });
});
