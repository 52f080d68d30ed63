/** The façade over a real LevelDB store in a temporary directory. */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  bytesEqual,
  checkConsistency,
  checkInclusion,
  generateSigner,
  init,
  isLogsealError,
  leafHash,
  open,
  openCheckpoint,
  parseVkey,
  proveConsistency,
  proveInclusion,
  toBase64,
  treeHash,
  verifyLog,
} from "../../src/index.js";

const ORIGIN = "example.com/logseal/unit";
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "logseal-store-")), "store");
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

const ev = (i: number, extra: Record<string, unknown> = {}) => ({
  ts: 1_700_000_000_000 + i,
  actor: { id: `u${i % 7}` },
  action: "dataset.read",
  outcome: "success",
  ...extra,
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isLogsealError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("Log", () => {
  it("keeps entries, ids and checkpoints across close and reopen", async () => {
    const log = await init(dir, { origin: ORIGIN });
    expect((await stat(log.signerFile)).mode & 0o777).toBe(0o600);
    await log.append([ev(0, { id: "a" }), ev(1), ev(2, { id: "b" })], { now: 1_700_000_001_000 });
    const cp = await log.checkpoint();
    const leaf = (await log.get(1)).leaf;
    await log.close();

    const again = await open(dir);
    expect(again.size).toBe(3);
    expect(again.vkey).toBe(log.vkey);
    expect(bytesEqual((await again.get(1)).leaf, leaf)).toBe(true);
    expect((await again.get(1)).event).toMatchObject({
      v: 1,
      at: 1_700_000_001_000,
      ts: 1_700_000_000_001,
    });
    expect(await again.append([ev(9, { id: "b" })])).toEqual([
      { index: 2, duplicate: true, id: "b" },
    ]);
    expect((await again.latestCheckpoint())?.note).toBe(cp.note);
    expect((await again.checkpoint()).note).toBe(cp.note); // same size: the same signed bytes
    await again.close();
  });

  it("is all or nothing: one bad event stores nothing and names where it was", async () => {
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev(0)]);
    let err: unknown;
    try {
      await log.append([ev(1), ev(2, { outcome: "meh" }), ev(3)], {
        locate: (i) => ({ file: "in.jsonl", line: i + 10 }),
      });
    } catch (e) {
      err = e;
    }
    expect(isLogsealError(err) && err.code).toBe("E_EVENT_INVALID");
    expect(isLogsealError(err) && err.location).toEqual({
      file: "in.jsonl",
      line: 11,
      field: "outcome",
    });
    expect(log.size).toBe(1);
    expect(await code(log.get(1))).toBe("E_INDEX_RANGE");
    await log.close();
  });

  it("serialises concurrent appends into one consistent tree", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 37 }, (_, i) => ev(b * 100 + i)),
    );
    const results = await Promise.all(batches.map((b) => log.append(b)));
    const indexes = results
      .flat()
      .map((r) => r.index)
      .sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: 740 }, (_, i) => i));
    await log.checkpoint();
    const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
    expect(report.ok).toBe(true);
    await log.close();
  });

  it("reads entries while appends commit concurrently", async () => {
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev(0)]);
    const appends = Array.from({ length: 300 }, (_, i) => log.append([ev(i + 1)]));
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) reads.push(log.get(Math.floor(Math.random() * log.size)));
    await Promise.all([...appends, ...reads]);
    expect(log.size).toBe(301);
    await log.close();
  });

  it("proves exactly what an in-memory tree proves, across bundle and tile boundaries", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const sizes = [1, 255, 256, 257, 511, 513, 700];
    const vk = parseVkey(log.vkey);
    for (const size of sizes) {
      await log.append(Array.from({ length: size - log.size }, (_, i) => ev(log.size + i)));
      await log.checkpoint();
    }
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < log.size; i++) leaves.push(leafHash((await log.get(i)).leaf));
    const hashOf = (lo: number, hi: number) => treeHash(leaves.slice(lo, hi));
    for (const size of sizes) {
      const root = openCheckpoint((await log.store.checkpointAt(size))?.note ?? "", [vk], ORIGIN)
        .checkpoint.root;
      expect(bytesEqual(root, treeHash(leaves.slice(0, size)))).toBe(true);
      for (const index of [0, size - 1, Math.floor(size / 2), 255, 256].filter((i) => i < size)) {
        const p = await log.proveInclusion(index, size);
        expect(p.proof.map(toBase64)).toEqual(proveInclusion(index, size, hashOf).map(toBase64));
        expect(checkInclusion(index, size, p.leafHash, p.proof, root)).toBe(true);
      }
      for (const from of sizes.filter((s) => s < size)) {
        const p = await log.proveConsistency(from, size);
        expect(p.proof.map(toBase64)).toEqual(proveConsistency(from, size, hashOf).map(toBase64));
        expect(checkConsistency(from, p.fromRoot, size, p.toRoot, p.proof)).toBe(true);
      }
    }
    await log.close();
  });

  it("handles a tree with three tile levels (more than 65536 entries)", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const n = 65_536 + 300;
    for (let done = 0; done < n; done += 8_192) {
      await log.append(
        Array.from({ length: Math.min(8_192, n - done) }, (_, i) => ({
          ts: done + i,
          actor: { id: "a" },
          action: "x.y",
          outcome: "success",
        })),
      );
    }
    const cp = await log.checkpoint();
    const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
    expect(report).toMatchObject({ ok: true, size: n, failures: [] });
    expect(report.checkpoints[0]?.root).toBe(report.root);
    const p = await log.proveInclusion(65_600);
    const root = openCheckpoint(cp.note, [parseVkey(log.vkey)]).checkpoint.root;
    expect(checkInclusion(65_600, n, p.leafHash, p.proof, root)).toBe(true);
    await log.close();
  }, 60_000);

  it("refuses a second opener, a missing store, another format and a foreign signing key", async () => {
    const log = await init(dir, { origin: ORIGIN });
    expect(await code(open(dir))).toBe("E_STORE_LOCKED");
    expect(await code(init(dir, { origin: ORIGIN }))).toBe("E_STORE_EXISTS");
    await writeFile(log.signerFile, `${generateSigner(ORIGIN).skey}\n`);
    expect(await code(log.checkpoint())).toBe("E_STORE_CORRUPT");
    await log.close();

    expect(await code(open(join(dir, "..", "nothing")))).toBe("E_STORE_MISSING");
    const db = new Level(join(dir, "db"));
    await db.put("meta/format", "logseal-store/99");
    await db.close();
    expect(await code(open(dir))).toBe("E_STORE_VERSION");
  });

  it("answers a repeated id from the id index, and refuses a damaged entry of it", async () => {
    const log = await init(dir, { origin: ORIGIN });
    const ev = (id: string) => ({
      id,
      ts: 1,
      actor: { id: "a" },
      action: "x.y",
      outcome: "success",
    });
    await log.append([ev("a"), ev("b"), ev("c")]);
    await log.close();
    const reopened = await open(dir);
    // From the store (a new Log has nothing in memory): found, not found, found.
    expect(await reopened.append([ev("c"), ev("d"), ev("a")])).toEqual([
      { index: 2, duplicate: true, id: "c" },
      { index: 3, duplicate: false, id: "d" },
      { index: 0, duplicate: true, id: "a" },
    ]);
    await reopened.close();
    const db = new Level(join(dir, "db"));
    await db.put("i/id/b", "not a number");
    await db.close();
    const damaged = await open(dir);
    expect(await code(damaged.append([ev("e"), ev("b")]))).toBe("E_STORE_CORRUPT");
    expect(damaged.size).toBe(4);
    await damaged.close();
  });

  it("rejects bad origins", async () => {
    for (const origin of ["", "a b", "a+b", "x".repeat(256), "tab\there"]) {
      expect(await code(init(dir, { origin })), origin).toBe("E_USAGE");
    }
  });
});
