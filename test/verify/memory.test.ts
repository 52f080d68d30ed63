/**
 * Giving memory back after a verify (src/verify/memory.ts, native/hash.c `releaseMemory`), on a
 * real LevelDB store whose entries sit in table files (a store reopened after its appends:
 * LevelDB writes the recovered log to a table when it opens).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, type Log, open, parseVkey, verifyLog } from "../../src/index.js";
import { canReleaseMemory, collectBuffers, releaseMemory } from "../../src/verify/memory.js";

let dir: string;
let log: Log;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logseal-memory-"));
  const store = join(dir, "store");
  const built = await init(store, { origin: "example.com/logseal/memory" });
  // 2,000 events of ~3 KB that do not compress: 6 MB of bundles, more than LevelDB keeps in its
  // write buffer.
  const pad = (n: number) => createHash("sha512").update(String(n)).digest("base64").repeat(34);
  for (let i = 0; i < 2000; i += 500) {
    await built.append(
      Array.from({ length: 500 }, (_, j) => ({
        v: 1,
        ts: 1_700_000_000_000 + i + j,
        actor: { id: "svc" },
        action: "dataset.read",
        outcome: "success",
        details: { pad: pad(i + j) },
      })),
    );
  }
  await built.checkpoint();
  await built.close();
  log = await open(store);
}, 60_000);
afterAll(async () => {
  await log?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Pages of the store's tables mapped into this process now, in kB (Linux). */
async function mappedTablesKb(): Promise<number> {
  const smaps = await readFile("/proc/self/smaps", "utf8");
  let kb = 0;
  let inTable = false;
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inTable = line.includes(dir) && line.endsWith(".ldb");
    else if (inTable && line.startsWith("Rss:")) kb += Number(line.split(/\s+/)[1]);
  }
  return kb;
}

describe("releaseMemory", () => {
  it("verifies as before, and pages the store's tables out of this process", async () => {
    const report = await verifyLog(log.store, {
      keys: [parseVkey(log.vkey)],
      releaseMemory: true,
    });
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(2000);
    const linux = process.platform === "linux" && canReleaseMemory();
    // Read again: the tables LevelDB keeps open are resident once more.
    for await (const _ of log.store.bundles(0, 8)) {
    }
    if (linux) expect(await mappedTablesKb()).toBeGreaterThan(0);
    const r = await releaseMemory({ storeDir: log.dir, trim: true });
    if (!linux) {
      expect(r).toEqual({ pagedOut: 0, trimmed: false });
      return;
    }
    expect(r.pagedOut, JSON.stringify(r)).toBeGreaterThan(0);
    expect(await mappedTablesKb()).toBe(0);
    // The pages come back from the file when read again: the store reads the same.
    const again = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
    expect(again.ok).toBe(true);
  });

  it("releases nothing for a directory that maps no tables, and never throws", async () => {
    const r = await releaseMemory({ storeDir: join(dir, "missing") });
    expect(r.pagedOut).toBe(0);
  });
});

describe("collectBuffers", () => {
  it("asks for a collection once dead Buffers pass 24 MB, and the collection frees them", async () => {
    // Buffers that outlive a scavenge, as the read-ahead's do, then die: 32 MB, under the
    // 64 MB of growth at which V8 would collect them by itself.
    let held: Buffer[] | undefined = Array.from({ length: 32 }, () => Buffer.alloc(1 << 20, 1));
    await new Promise((r) => setTimeout(r, 150));
    // Measured while still held, then dropped and the collection asked for at once: a
    // collection of V8's own in between (one ran while this test waited, in one suite run)
    // would leave nothing to ask for.
    const dead = process.memoryUsage().arrayBuffers;
    expect(dead).toBeGreaterThan(32 << 20);
    held = undefined;
    expect(collectBuffers()).toBe(true);
    expect(held).toBeUndefined();
    const deadline = Date.now() + 10_000;
    while (process.memoryUsage().arrayBuffers > dead - (28 << 20) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(dead - (28 << 20));
    // Below the threshold nothing is asked for.
    expect(collectBuffers()).toBe(false);
  });
});
