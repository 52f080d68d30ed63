/**
 * The reader contract (src/store/reader.ts), run against every reader: the LevelDB store, a
 * tiles directory exported from it (read from disk and over HTTP), and the in-memory reader of
 * the unit tests. Each must report the same log: the same origin, size, bundles, tiles and
 * (the ones it keeps) checkpoints. Readers that offer range reads (`bundles`, `tiles`) must agree with their
 * single reads.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exportTiles,
  init,
  type Log,
  type LogReader,
  openCheckpoint,
  parseEntryBundle,
  parseVkey,
  TilesReader,
  tilesForSize,
  verifyLog,
} from "../../src/index.js";
import { HASH_SIZE, TILE_WIDTH } from "../../src/merkle/index.js";
import type { RangeReads } from "../../src/verify/read.js";
import { buildLog } from "./memory-reader.js";
import { staticServer } from "./static-server.js";

const ORIGIN = "example.com/logseal/conformance";
const SIZE = 700;
const CHECKPOINTS = [100, 300, SIZE];

let dir: string;
let log: Log;
let leaves: Uint8Array[];
let web: Awaited<ReturnType<typeof staticServer>>;
const tiles = new Map<string, Uint8Array>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logseal-conformance-"));
  log = await init(join(dir, "store"), { origin: ORIGIN });
  let done = 0;
  for (const size of CHECKPOINTS) {
    await log.append(
      Array.from({ length: size - done }, (_, i) => ({
        ts: 1_700_000_000_000 + done + i,
        actor: { id: `u${(done + i) % 5}` },
        action: "dataset.read",
        outcome: "success",
        details: { n: done + i },
      })),
      { now: 1_700_000_001_000 },
    );
    await log.checkpoint();
    done = size;
  }
  leaves = [];
  for (let i = 0; i < SIZE; i++) leaves.push((await log.get(i)).leaf);
  for (const t of tilesForSize(SIZE)) {
    tiles.set(`${t.level}/${t.index}`, await log.store.readTile(t.level, t.index));
  }
  const latest = await log.latestCheckpoint();
  if (latest === undefined) throw new Error("no checkpoint");
  await exportTiles(log.store, latest, join(dir, "tiles"));
  web = await staticServer(join(dir, "tiles"));
}, 30_000);

afterAll(async () => {
  await web.close();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

interface Subject {
  reader: () => Promise<LogReader>;
  /** The checkpoint sizes the reader keeps. */
  checkpoints: number[];
}

const subjects: Record<string, Subject> = {
  LevelStore: { reader: async () => log.store, checkpoints: CHECKPOINTS },
  TilesReader: { reader: () => TilesReader.open(join(dir, "tiles")), checkpoints: [SIZE] },
  "TilesReader over HTTP": { reader: () => TilesReader.open(web.url), checkpoints: [SIZE] },
  MemoryReader: {
    reader: async () => {
      const m = buildLog(SIZE, {
        skey: await log.store.readSkey(),
        leaf: (i) => leaves[i] as Uint8Array,
      }).reader;
      for await (const c of log.store.checkpoints()) m.checkpointMap.set(c.size, c.note);
      return m;
    },
    checkpoints: CHECKPOINTS,
  },
};

const bytes = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
const hasRanges = (r: LogReader): r is LogReader & RangeReads =>
  typeof (r as Partial<RangeReads>).bundles === "function";

describe.each(Object.entries(subjects))("reader contract: %s", (_name, subject) => {
  it("reports the log's origin and size", async () => {
    const r = await subject.reader();
    expect(r.origin).toBe(ORIGIN);
    expect(await r.size()).toBe(SIZE);
  });

  it("returns every entry bundle as stored, and nothing past the last", async () => {
    const r = await subject.reader();
    const bundles = Math.ceil(SIZE / TILE_WIDTH);
    for (let n = 0; n < bundles; n++) {
      const b = await r.readBundle(n);
      expect(b).toBeInstanceOf(Uint8Array);
      const width = Math.min(TILE_WIDTH, SIZE - n * TILE_WIDTH);
      const entries = parseEntryBundle(b as Uint8Array, width);
      expect(entries?.map(bytes)).toEqual(
        leaves.slice(n * TILE_WIDTH, n * TILE_WIDTH + width).map(bytes),
      );
    }
    expect(await r.readBundle(bundles)).toBeUndefined();
    expect(await r.readBundle(bundles + 1000)).toBeUndefined();
  });

  it("returns every hash tile of the size, exactly, and empty bytes for others", async () => {
    const r = await subject.reader();
    for (const t of tilesForSize(SIZE)) {
      const got = await r.readTile(t.level, t.index);
      expect(got).toBeInstanceOf(Uint8Array);
      expect(got.length).toBe(t.width * HASH_SIZE);
      expect(bytes(got)).toEqual(bytes(tiles.get(`${t.level}/${t.index}`)));
    }
    expect((await r.readTile(0, 3)).length).toBe(0);
    expect((await r.readTile(1, 1)).length).toBe(0);
    expect((await r.readTile(2, 0)).length).toBe(0);
  });

  it("lists its checkpoints ascending; each is a signed note of its size", async () => {
    const r = await subject.reader();
    const key = parseVkey(log.vkey);
    const seen: number[] = [];
    for await (const c of r.checkpoints()) {
      seen.push(c.size);
      expect(openCheckpoint(c.note, [key], ORIGIN).checkpoint.size).toBe(c.size);
      expect(await r.checkpointAt(c.size)).toEqual(c);
    }
    expect(seen).toEqual(subject.checkpoints);
    expect((await r.latestCheckpoint())?.size).toBe(SIZE);
    expect(await r.checkpointAt(99)).toBeUndefined();
  });

  it("answers concurrent and repeated reads alike", async () => {
    const r = await subject.reader();
    const once = await Promise.all([0, 1, 2, 0, 1, 2].map((n) => r.readBundle(n)));
    expect(once.slice(0, 3).map(bytes)).toEqual(once.slice(3).map(bytes));
    expect(bytes(await r.readTile(0, 1))).toEqual(bytes(await r.readTile(0, 1)));
  });

  it("agrees with its single reads in range reads, when it offers them", async (ctx) => {
    const r = await subject.reader();
    if (!hasRanges(r)) {
      ctx.skip();
      return;
    }
    const got: Array<[number, Buffer | undefined]> = [];
    for await (const b of r.bundles(1, 10)) got.push([b.index, bytes(b.bytes)]);
    expect(got).toEqual([
      [1, bytes(await r.readBundle(1))],
      [2, bytes(await r.readBundle(2))],
    ]);
    const t: number[] = [];
    for await (const x of r.tiles(0, 0, 2)) t.push(x.index);
    expect(t).toEqual([0, 1]);
    const up: number[] = [];
    for await (const x of r.tiles(1, 0, 5)) up.push(x.index);
    expect(up).toEqual([0]);
    const none: number[] = [];
    for await (const x of r.bundles(5, 5)) none.push(x.index);
    expect(none).toEqual([]);
  });
});

describe("TilesReader", () => {
  it("needs a checkpoint file, and reports a damaged one as an empty log of unknown origin", async () => {
    const empty = await mkdtemp(join(tmpdir(), "logseal-tiles-"));
    try {
      await expect(TilesReader.open(empty)).rejects.toMatchObject({ code: "E_STORE_MISSING" });
      await writeFile(join(empty, "checkpoint"), "garbage");
      const r = await TilesReader.open(empty);
      expect([r.origin, await r.size()]).toEqual(["", 0]);
      expect((await r.latestCheckpoint())?.note).toBe("garbage");
      await writeFile(join(empty, "checkpoint"), "example.com/x\n012\nroot\n");
      expect(await (await TilesReader.open(empty)).size()).toBe(0);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("TilesReader on a directory that grew past its checkpoint", () => {
  it("reads a deleted partial tile and bundle out of the full ones, as tlog-tiles allows", async () => {
    const grown = join(dir, "grown");
    const at300 = await log.store.checkpointAt(300);
    const latest = await log.latestCheckpoint();
    if (at300 === undefined || latest === undefined) throw new Error("no checkpoint");
    // The directory as a log serving tiles keeps it: exported at 300, then at 700, with the
    // partials that a full tile now covers deleted; the auditor's checkpoint is the one at 300.
    await exportTiles(log.store, at300, grown);
    await exportTiles(log.store, latest, grown);
    await rm(join(grown, "tile/0/001.p/44"));
    await rm(join(grown, "tile/entries/001.p/44"));
    await writeFile(join(grown, "checkpoint"), at300.note);

    const r = await TilesReader.open(grown);
    expect(await r.size()).toBe(300);
    const full = await readFile(join(grown, "tile/0/001"));
    expect(Buffer.from(await r.readTile(0, 1))).toEqual(full.subarray(0, 44 * HASH_SIZE));
    const bundle = await r.readBundle(1);
    expect(parseEntryBundle(bundle as Uint8Array, 44)?.map(bytes)).toEqual(
      leaves.slice(256, 300).map(bytes),
    );
    const report = await verifyLog(r, { keys: [parseVkey(log.store.vkey)], workers: 0 });
    expect(report.ok).toBe(true);
    expect(report.size).toBe(300);

    // A full bundle too short for the checkpoint's width is handed on whole and fails.
    await writeFile(join(grown, "tile/entries/001"), full.subarray(0, 10));
    const bad = await verifyLog(await TilesReader.open(grown), {
      keys: [parseVkey(log.store.vkey)],
      workers: 0,
    });
    expect(bad.ok).toBe(false);
  });
});
