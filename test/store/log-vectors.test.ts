/**
 * formats/vectors/log-v1.json, checked two ways: recomputed with the pure functions (the
 * generator), and replayed through a real LevelDB store and the tiles exporter, which must
 * give the very same checkpoints and export files.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { generate, type LogVectors } from "../../formats/vectors/generate-log.js";
import { exportTiles, init } from "../../src/index.js";

const file = new URL("../../formats/vectors/log-v1.json", import.meta.url);
const vectors = JSON.parse(await readFile(file, "utf8")) as LogVectors;

describe("log-v1 vectors", () => {
  it("are what the generator computes from their events", () => {
    expect(generate(vectors.batches.flatMap((b) => b.events))).toEqual(vectors);
  });

  it("are reproduced byte for byte by a real store and its tiles export", async () => {
    const dir = await mkdtemp(join(tmpdir(), "logseal-vectors-"));
    try {
      // The vectors are of the log layer: a policy that keeps every value (masking would put
      // fresh random commitments in the leaves).
      const log = await init(join(dir, "store"), {
        origin: vectors.origin,
        skey: vectors.skey,
        privacy: { policy: { text: '{"v": 1, "detect": false, "rules": []}' } },
      });
      expect(log.vkey).toBe(vectors.vkey);
      for (const [i, b] of vectors.batches.entries()) {
        await log.append(b.events, { now: b.at });
        expect((await log.checkpoint()).note).toBe(vectors.checkpoints[i]?.note);
      }
      const leaves: string[] = [];
      for (let i = 0; i < log.size; i++) {
        leaves.push(
          createHash("sha256")
            .update((await log.get(i)).leaf)
            .digest("hex"),
        );
      }
      expect(leaves).toEqual(vectors.leaves_sha256_hex);

      const out = join(dir, "tiles");
      const latest = await log.latestCheckpoint();
      if (latest === undefined) throw new Error("no checkpoint");
      await exportTiles(log.store, latest, out);
      await log.close();
      const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((d) =>
        d.isFile(),
      );
      const got = await Promise.all(
        files.map(async (d) => {
          const bytes = await readFile(join(d.parentPath, d.name));
          return {
            path: relative(out, join(d.parentPath, d.name)),
            bytes: bytes.length,
            sha256_hex: createHash("sha256").update(bytes).digest("hex"),
          };
        }),
      );
      expect(got.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual(vectors.tiles);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
