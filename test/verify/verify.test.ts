/**
 * The verifier over an in-memory reader: full verification at the sizes that matter for the
 * tile layout, every kind of tampering located, incremental runs, failure limits, progress and
 * cancellation. The LevelDB and tiles-directory paths run in test/cli/verify.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  encodeLeaf,
  type Failure,
  generateSigner,
  parseVkey,
  toBase64,
  type VerifyProgress,
  verifyLog,
} from "../../src/index.js";
import { encodeEntryBundle, TILE_WIDTH } from "../../src/merkle/index.js";
import { buildLog } from "../store/memory-reader.js";

const ORIGIN = "example.com/logseal/verify-unit";
const { skey, vkey } = generateSigner(ORIGIN);
const key = parseVkey(vkey);
const other = generateSigner(ORIGIN);

const kinds = (fs: Failure[]) => fs.map((f) => f.kind);
const verify = (reader: Parameters<typeof verifyLog>[0], extra = {}) =>
  verifyLog(reader, { keys: [key], workers: 0, ...extra });

describe("full verification", () => {
  it.each([0, 1, 2, 255, 256, 257, 511, 512, 700, 65_536, 65_536 + 300])(
    "rebuilds a log of %i entries and checks checkpoints at every kind of size",
    async (size) => {
      const cps = [...new Set([0, 1, 100, 255, 256, 257, 300, 512, 65_536, size])].filter(
        (s) => s <= size,
      );
      const log = buildLog(size, { skey, checkpoints: cps });
      const r = await verify(log.reader);
      expect(r.failures).toEqual([]);
      expect(r).toMatchObject({
        ok: true,
        mode: "full",
        size,
        start: 0,
        entries: size,
        root: toBase64(log.root(size)),
        moreFailures: 0,
      });
      expect(r.tiles).toBe(log.reader.tileMap.size);
      expect(r.checkpoints.map((c) => [c.size, c.ok])).toEqual(cps.map((s) => [s, true]));
      expect(r.checkpoints.every((c) => c.verifiedBy[0] === ORIGIN)).toBe(true);
    },
    30_000,
  );

  it("lists unknown signers, ignores them, and fails without any pinned signature", async () => {
    const log = buildLog(10, { skey, checkpoints: [10] });
    const r = await verifyLog(log.reader, { keys: [key, parseVkey(other.vkey)], workers: 0 });
    expect(r.ok).toBe(true);
    const unpinned = await verifyLog(log.reader, { keys: [parseVkey(other.vkey)], workers: 0 });
    expect(unpinned.ok).toBe(false);
    expect(unpinned.failures.at(-1)?.message).toContain(
      "no stored checkpoint is signed by a pinned key",
    );
  });

  it("decodes events only with checkEvents", async () => {
    const good = (i: number) =>
      encodeLeaf({ v: 1, ts: i, at: i, actor: { id: "a" }, action: "x.y", outcome: "success" });
    const log = buildLog(300, {
      skey,
      checkpoints: [300],
      leaf: (i) => (i === 260 ? new TextEncoder().encode("not an event") : good(i)),
    });
    expect((await verify(log.reader)).ok).toBe(true);
    const r = await verify(log.reader, { checkEvents: true });
    expect(r.eventsChecked).toBe(true);
    expect(r.failures).toMatchObject([{ kind: "entry", index: 260 }]);
  });
});

describe("tampering is detected and located", () => {
  const size = 700; // bundles 0, 1 full, 2 partial (188); tiles 0/0, 0/1, 0/2.p/188, 1/0.p/2
  const fresh = () => buildLog(size, { skey, checkpoints: [100, 300, 600, 700] });

  it("a changed byte in an entry: the entry, then the checkpoints it breaks", async () => {
    const log = fresh();
    const b = log.reader.bundleMap.get(1) as Uint8Array;
    b[2 + 3] = (b[2 + 3] as number) ^ 1; // entry 256, inside its first bytes
    const r = await verify(log.reader);
    expect(r.failures[0]).toMatchObject({ kind: "tile", level: 0, index: 1, hash: 0, entry: 256 });
    expect(r.failures.slice(1, 4).map((f) => f.kind === "checkpoint" && f.size)).toEqual([
      300, 600, 700,
    ]);
    // The bundle's root, hash 1 of the partial level-1 tile, differs too.
    expect(r.failures[4]).toMatchObject({ kind: "tile", level: 1, index: 0, hash: 1 });
    expect(r.checkpoints.map((c) => c.ok)).toEqual([true, false, false, false]);
  });

  it.each([
    ["truncated", (b: Uint8Array) => b.subarray(0, b.length - 3), "malformed"],
    ["garbage", () => new Uint8Array([1, 2, 3]), "malformed"],
    ["one entry short", (b: Uint8Array) => b.subarray(0, b.length - 11), "count"],
  ] as const)("a %s bundle is reported; its stored hashes stand in", async (_n, change, reason) => {
    const log = fresh();
    log.reader.bundleMap.set(1, change(log.reader.bundleMap.get(1) as Uint8Array));
    const r = await verify(log.reader);
    expect(r.failures).toMatchObject([{ kind: "bundle", bundle: 1, entry: 256, reason }]);
    // The rest of the tree was still checked against the signed roots.
    expect(r.checkpoints.every((c) => c.ok)).toBe(true);
  });

  it("a missing bundle whose tile is missing too stops the rebuild there", async () => {
    const log = fresh();
    log.reader.bundleMap.delete(1);
    log.reader.tileMap.delete("0/1");
    const r = await verify(log.reader);
    expect(r.failures[0]).toMatchObject({ kind: "bundle", bundle: 1, reason: "missing" });
    expect(r.failures.slice(1).map((f) => f.kind === "checkpoint" && f.size)).toEqual([
      300, 600, 700,
    ]);
    expect(r.failures[1]?.message).toContain("not reached");
    expect(r.root).toBe("");
    expect(r.checkpoints[0]?.ok).toBe(true);
  });

  it.each([
    ["changed", (t: Uint8Array) => (t[40] = (t[40] as number) ^ 1), "changed", 1],
    ["truncated", () => undefined, "truncated", 255],
    ["missing", () => undefined, "missing", 0],
  ] as const)("a %s level-0 tile names the hash", async (_n, change, reason, hash) => {
    const log = fresh();
    const tile = log.reader.tileMap.get("0/0") as Uint8Array;
    if (reason === "truncated") log.reader.tileMap.set("0/0", tile.subarray(0, tile.length - 20));
    else if (reason === "missing") log.reader.tileMap.delete("0/0");
    else change(tile);
    const r = await verify(log.reader);
    expect(r.failures).toMatchObject([{ kind: "tile", level: 0, index: 0, reason, hash }]);
    expect(r.checkpoints.every((c) => c.ok)).toBe(true); // tiles do not make the roots
  });

  it("a changed level-1 tile, and counts the differing hashes", async () => {
    const log = fresh();
    const tile = log.reader.tileMap.get("1/0") as Uint8Array;
    tile.fill(7);
    const r = await verify(log.reader);
    expect(r.failures).toMatchObject([
      { kind: "tile", level: 1, index: 0, hash: 0, differing: 2, reason: "changed" },
    ]);
    expect(r.failures[0]).not.toHaveProperty("entry");
  });

  it("checkpoints: a bad signature, a wrong root, a wrong size, an unparsable note", async () => {
    const log = fresh();
    const notes = log.reader.checkpointMap;
    const sig = notes.get(100) as string;
    const at = sig.lastIndexOf(" ") + 10;
    notes.set(100, sig.slice(0, at) + (sig[at] === "A" ? "B" : "A") + sig.slice(at + 1));
    notes.set(300, log.sign(300, log.root(299)));
    notes.set(600, log.sign(599));
    notes.set(700, "not a note\n");
    const r = await verify(log.reader);
    expect(r.failures.map((f) => f.kind === "checkpoint" && [f.size, f.signer])).toEqual([
      [100, ORIGIN],
      [600, ORIGIN],
      [700, undefined],
      [300, ORIGIN],
    ]);
    expect(r.failures[0]?.message).toContain("invalid signature");
    expect(r.failures[1]?.message).toContain("says size 599");
    expect(r.failures[3]).toMatchObject({
      expected: toBase64(log.root(300)),
      actual: toBase64(log.root(299)),
    });
  });

  it("a raised tree size: the missing bundle", async () => {
    const log = fresh();
    log.reader.treeSize = 800;
    const r = await verify(log.reader);
    expect(r.failures[0]).toMatchObject({
      kind: "bundle",
      bundle: 2,
      reason: "count",
      expected: 256,
      actual: 188,
    });
    expect(r.ok).toBe(false);
  });

  it("a lowered tree size: the checkpoints beyond it, the longer tiles, the bundle beyond", async () => {
    const log = fresh();
    log.reader.treeSize = 256;
    const r = await verify(log.reader);
    expect(kinds(r.failures)).toEqual(["checkpoint", "checkpoint", "checkpoint", "tile", "size"]);
    expect(r.failures[0]).toMatchObject({ kind: "checkpoint", size: 300 });
    expect(r.failures[0]?.message).toContain("beyond the stored tree of size 256");
    expect(r.failures[3]).toMatchObject({ kind: "tile", level: 1, index: 0, reason: "extra" });
    expect(r.failures[4]).toMatchObject({ kind: "size", bundle: 1 });
    expect(r.checkpoints[0]?.ok).toBe(true);
    const mid = fresh();
    mid.reader.treeSize = 650;
    const m = await verify(mid.reader);
    expect(m.failures[1]).toMatchObject({
      kind: "bundle",
      bundle: 2,
      reason: "count",
      actual: 188,
    });
  });

  it("lists at most maxFailures and counts the rest", async () => {
    const log = fresh();
    for (const n of [0, 1, 2]) log.reader.tileMap.set(`0/${n}`, new Uint8Array(3));
    const r = await verify(log.reader, { maxFailures: 1 });
    expect(r.failures).toHaveLength(1);
    expect(r.moreFailures).toBe(2);
    expect(r.ok).toBe(false);
  });

  it("never throws on random garbage in any bundle or tile", async () => {
    const log = fresh();
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const b = new Uint8Array(rand() % 600).map(() => rand() % 256);
      if (round % 2 === 0) log.reader.bundleMap.set(rand() % 3, b);
      else log.reader.tileMap.set(`${rand() % 2}/0`, b);
      const r = await verify(log.reader);
      expect(r.ok).toBe(false);
    }
  });
});

describe("incremental verification (since)", () => {
  const size = 70_000;
  const log = buildLog(size, { skey, checkpoints: [1000, 65_536, size] });

  it.each([0, 1, 255, 256, 1000, 65_536, 65_600, size])(
    "from a checkpoint of size %i: proves consistency, rebuilds from its bundle",
    async (m) => {
      const r = await verify(log.reader, { since: log.sign(m) });
      expect(r.failures).toEqual([]);
      expect(r.mode).toBe("incremental");
      expect(r.since).toEqual({ size: m, root: toBase64(log.root(m)), verifiedBy: [ORIGIN] });
      expect(r.latest).toMatchObject({ size, root: toBase64(log.root(size)) });
      expect(r.consistency?.ok).toBe(true);
      expect(r.start).toBe(Math.floor(m / TILE_WIDTH) * TILE_WIDTH);
      expect(r.entries).toBe(size - r.start);
      expect(r.root).toBe(toBase64(log.root(size)));
      expect(r.checkpoints.map((c) => c.size)).toEqual([1000, 65_536, size].filter((s) => s >= m));
    },
    30_000,
  );

  it("fails on a log rewritten before the saved checkpoint, with both checkpoints and the proof", async () => {
    // The operator rewrote history with the signing key: a new tree, freshly signed.
    const rewritten = buildLog(size, {
      skey,
      checkpoints: [size],
      leaf: (i) => new TextEncoder().encode(i === 10 ? "rewritten" : `entry-${i}`),
    });
    const r = await verify(rewritten.reader, { since: log.sign(1000) });
    expect(r.ok).toBe(false);
    expect(r.consistency).toMatchObject({ from: 1000, to: size, ok: false });
    expect(r.consistency?.proof.length).toBeGreaterThan(0);
    const [proofFailure, rootFailure] = r.failures;
    expect(proofFailure).toMatchObject({
      kind: "consistency",
      from: 1000,
      to: size,
      fromRoot: toBase64(log.root(1000)),
      toRoot: toBase64(rewritten.root(size)),
    });
    expect(proofFailure?.kind === "consistency" && proofFailure.proof).toEqual(
      r.consistency?.proof,
    );
    expect(rootFailure).toMatchObject({
      kind: "consistency",
      rebuilt: toBase64(rewritten.root(1000)),
    });
    expect(r.entries).toBeLessThan(size);
  });

  it("fails when the log is shorter than the saved checkpoint", async () => {
    const short = buildLog(500, { skey, checkpoints: [500] });
    const r = await verify(short.reader, { since: log.sign(1000) });
    expect(r.failures).toMatchObject([{ kind: "consistency", from: 1000, to: 500 }]);
    expect(r.entries).toBe(0);
  });

  it("rejects a saved checkpoint that does not open as bad input", async () => {
    await expect(verify(log.reader, { since: "garbage" })).rejects.toMatchObject({
      code: "E_NOTE_MALFORMED",
    });
    const foreign = buildLog(10, { skey: other.skey });
    await expect(verify(log.reader, { since: foreign.sign(10) })).rejects.toMatchObject({
      code: "E_NOTE_UNVERIFIED",
    });
  });

  it("falls back to every entry when the tiles cannot give the tree at the saved size", async () => {
    const broken = buildLog(size, { skey, checkpoints: [size] });
    broken.reader.tileMap.set("1/0", new Uint8Array(0));
    const r = await verify(broken.reader, { since: log.sign(1000) });
    expect(r.start).toBe(0);
    expect(r.entries).toBe(size);
    expect(r.failures.some((f) => f.kind === "tile" && f.level === 1)).toBe(true);
    expect(r.consistency?.ok).toBe(false);
  });
});

describe("progress and cancellation", () => {
  it("reports typed progress, phase by phase, up to the total", async () => {
    const log = buildLog(20_000, { skey, checkpoints: [20_000] });
    const events: VerifyProgress[] = [];
    await verify(log.reader, { onProgress: (p: VerifyProgress) => events.push(p) });
    expect(events[0]?.phase).toBe("checkpoints");
    expect(events.at(-1)).toMatchObject({ phase: "done", done: 20_000, total: 20_000 });
    const entries = events.filter((e) => e.phase === "entries");
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.at(-1)?.done).toBe(20_000);
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i]?.done).toBeGreaterThanOrEqual(entries[i - 1]?.done as number);
    }
  });

  it("stops when the signal aborts", async () => {
    const log = buildLog(40_000, { skey, checkpoints: [40_000] });
    const ac = new AbortController();
    const run = verify(log.reader, {
      signal: ac.signal,
      onProgress: (p: VerifyProgress) => {
        if (p.phase === "entries" && p.done > 0) ac.abort(new Error("cancelled"));
      },
    });
    await expect(run).rejects.toThrow("cancelled");
    const aborted = new AbortController();
    aborted.abort();
    await expect(verify(log.reader, { signal: aborted.signal })).rejects.toThrow();
  });

  it("gives the same report whether or not worker threads can start", async () => {
    const log = buildLog(3000, { skey, checkpoints: [1000, 3000] });
    const b = log.reader.bundleMap.get(3) as Uint8Array;
    log.reader.bundleMap.set(3, encodeEntryBundle([new Uint8Array(1), ...[b]]));
    const inline = await verify(log.reader);
    // Under vitest the workers cannot load TypeScript: the verifier falls back to inline.
    const pooled = await verify(log.reader, { workers: 2 });
    expect(pooled).toEqual(inline);
    expect(inline.failures[0]).toMatchObject({ kind: "bundle", bundle: 3, reason: "count" });
  });
});
