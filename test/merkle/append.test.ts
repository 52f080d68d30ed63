/**
 * The append path's Merkle pieces: `appendToTiles` given the new hashes as one run of bytes
 * (as the log passes them) against the per-hash form and a tree built from scratch, and
 * `appendRecordsToBundles` against `appendToEntryBundle`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual, utf8 } from "../../src/bytes.js";
import { appendRecordsToBundles } from "../../src/merkle/bundle.js";
import {
  appendToEntryBundle,
  appendToTiles,
  encodeEntryBundle,
  HASH_SIZE,
  leafHash,
  TILE_WIDTH,
  type TileReader,
  treeHash,
  treeHashFromTiles,
} from "../../src/merkle/index.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 100);

/** A map of tiles, grown by appends, that reads like a store. */
function tiles() {
  const map = new Map<string, Uint8Array>();
  const read: TileReader = async (l, n) => map.get(`${l}/${n}`) ?? new Uint8Array(0);
  return { map, read };
}

const concat = (hs: readonly Uint8Array[]) => {
  const out = new Uint8Array(hs.length * HASH_SIZE);
  for (const [i, h] of hs.entries()) out.set(h, i * HASH_SIZE);
  return out;
};

describe("appendToTiles with concatenated hashes", () => {
  const leaves = Array.from({ length: 70_000 }, (_, i) => leafHash(utf8(`e${i}`)));

  it("writes what the per-hash form writes, batch after batch, across two tile levels", async () => {
    const a = tiles();
    const b = tiles();
    let size = 0;
    for (const n of [1, 255, 1, 300, 65_000, 2, 4_441]) {
      const batch = leaves.slice(size, size + n);
      const fromArrays = await appendToTiles(size, batch, a.read);
      const fromBytes = await appendToTiles(size, concat(batch), b.read);
      expect([...fromBytes.keys()].sort()).toEqual([...fromArrays.keys()].sort());
      for (const [k, t] of fromArrays) {
        const u = fromBytes.get(k);
        expect([u?.level, u?.index]).toEqual([t.level, t.index]);
        expect(bytesEqual(u?.bytes ?? new Uint8Array(0), t.bytes), k).toBe(true);
        a.map.set(k, t.bytes);
        b.map.set(k, (fromBytes.get(k) as { bytes: Uint8Array }).bytes);
      }
      size += n;
      if (size < 1000 || size === leaves.length) {
        expect(await treeHashFromTiles(size, b.read)).toEqual(treeHash(leaves.slice(0, size)));
      }
    }
  }, 60_000);

  it("returns bytes that share no memory with the input run", async () => {
    const run = concat(leaves.slice(0, 600));
    const out = await appendToTiles(0, run, async () => new Uint8Array(0));
    for (const t of out.values()) expect(t.bytes.buffer).not.toBe(run.buffer);
    const copy = run.slice();
    for (const t of out.values()) t.bytes.fill(0);
    expect(run).toEqual(copy);
  });

  it("rejects a run that is not whole hashes, and empty runs change nothing", async () => {
    const read: TileReader = async () => new Uint8Array(0);
    await expect(appendToTiles(0, new Uint8Array(33), read)).rejects.toThrow(RangeError);
    expect((await appendToTiles(7, new Uint8Array(0), read)).size).toBe(0);
  });
});

describe("appendRecordsToBundles", () => {
  const entry = fc.uint8Array({ maxLength: 40 });

  it("equals appendToEntryBundle over the same entries, from any size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * TILE_WIDTH }),
        fc.array(entry, { maxLength: 3 * TILE_WIDTH }),
        (size, entries) => {
          const have = size % TILE_WIDTH;
          const old = Array.from({ length: have }, (_, i) => utf8(`old-${i}`));
          const partial = encodeEntryBundle(old);
          const records = encodeEntryBundle([]);
          const parts = entries.map((e) => encodeEntryBundle([e]));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, records.length));
          const ends: number[] = [];
          let off = 0;
          for (const p of parts) {
            all.set(p, off);
            off += p.length;
            ends.push(off);
          }
          const got = appendRecordsToBundles(size, all, ends, partial);
          // The reference: fill bundle by bundle with appendToEntryBundle.
          const want: { index: number; bytes: Uint8Array }[] = [];
          let done = 0;
          let index = Math.floor(size / TILE_WIDTH);
          let current = partial;
          let room = TILE_WIDTH - have;
          while (done < entries.length) {
            const take = Math.min(room, entries.length - done);
            want.push({
              index,
              bytes: appendToEntryBundle(current, entries.slice(done, done + take)),
            });
            done += take;
            index++;
            current = new Uint8Array(0);
            room = TILE_WIDTH;
          }
          expect(got).toEqual(want);
          // Bundles the new entries fill alone are views of the records, not copies.
          for (const b of got.slice(have > 0 ? 1 : 0)) expect(b.bytes.buffer).toBe(all.buffer);
        },
      ),
      { numRuns },
    );
  });

  it("checks that the ends cover the records", () => {
    expect(() => appendRecordsToBundles(0, new Uint8Array(3), [2], new Uint8Array(0))).toThrow(
      RangeError,
    );
    expect(appendRecordsToBundles(5, new Uint8Array(0), [], new Uint8Array(0))).toEqual([]);
  });
});
