/** End to end: show, prove, verify (with tampering), export and demo through the real CLI. */
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkConsistency,
  checkInclusion,
  entriesPath,
  fromBase64,
  leafHash,
  openCheckpoint,
  parseEntryBundle,
  parseSkey,
  parseVkey,
  signCheckpoint,
  tilePath,
  tilesForSize,
  toBase64,
  treeHash,
} from "../../src/index.js";
import { event, json, jsonl, logseal, ORIGIN, tempDir } from "./cli.js";

let dir: string;
let store: string;
let vkey: string;
let cleanup: () => Promise<void>;
const N = 700; // three bundles: two full, one partial

const b64 = (s: string) => fromBase64(s) as Uint8Array;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  store = join(dir, "store");
  vkey = json<{ vkey: string }>(
    await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]),
  ).vkey;
  const events = Array.from({ length: N }, (_, i) =>
    event(i, { id: `e-${i}`, details: { n: i, note: "ß∂ƒ😀" } }),
  );
  for (const [from, to] of [
    [0, 100],
    [100, 300],
    [300, 600],
    [600, N],
  ] as const) {
    const r = await logseal(["append", "--store", store, "--checkpoint"], {
      input: jsonl(events.slice(from, to)),
    });
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(() => cleanup());

describe("logseal show", () => {
  it("prints the event and its exact leaf", async () => {
    const r = await logseal(["show", "257", "--store", store, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{
      index: number;
      leafHash: string;
      leaf: string;
      event: Record<string, unknown>;
    }>(r);
    expect(out.index).toBe(257);
    expect(out.event).toMatchObject({
      v: 1,
      id: "e-257",
      ...event(257, { details: { n: 257, note: "ß∂ƒ😀" } }),
    });
    expect(typeof out.event.at).toBe("number");
    const leaf = b64(out.leaf);
    const expected = createHash("sha256")
      .update(Buffer.from([0]))
      .update(leaf)
      .digest("base64");
    expect(out.leafHash).toBe(expected);

    const human = await logseal(["show", "257", "--store", store]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("entry 257");
    expect(human.stdout).toContain('"id": "e-257"');
  });

  it.each([["700"], ["-1"], ["01"], ["abc"], ["1e3"]])(
    "rejects index %s with exit 2",
    async (arg) => {
      const r = await logseal(["show", arg, "--store", store]);
      expect(r.code).toBe(2);
    },
  );
});

describe("logseal prove", () => {
  it("proves inclusion against the latest and an older checkpoint", async () => {
    for (const args of [[], ["--size", "300"]]) {
      const r = await logseal(["prove", "inclusion", "123", "--store", store, ...args, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const p = json<{
        index: number;
        size: number;
        leafHash: string;
        proof: string[];
        checkpoint: string;
      }>(r);
      expect(Object.keys(p)).toEqual(["index", "size", "leafHash", "proof", "checkpoint"]);
      expect(p.size).toBe(args.length === 0 ? N : 300);
      const cp = openCheckpoint(p.checkpoint, [parseVkey(vkey)], ORIGIN).checkpoint;
      expect(cp.size).toBe(p.size);
      expect(checkInclusion(p.index, p.size, b64(p.leafHash), p.proof.map(b64), cp.root)).toBe(
        true,
      );
      expect(checkInclusion(p.index + 1, p.size, b64(p.leafHash), p.proof.map(b64), cp.root)).toBe(
        false,
      );
    }
  });

  it("proves consistency between checkpoints", async () => {
    const r = await logseal(["prove", "consistency", "100", "600", "--store", store, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const p = json<{
      from: number;
      to: number;
      fromRoot: string;
      toRoot: string;
      proof: string[];
      checkpoint: string;
    }>(r);
    expect(Object.keys(p)).toEqual(["from", "to", "fromRoot", "toRoot", "proof", "checkpoint"]);
    const old = json<{ root: string; size: number }[]>(
      await logseal(["checkpoint", "--list", "--store", store, "--json"]),
    );
    expect(old.find((c) => c.size === 100)?.root).toBe(p.fromRoot);
    const cp = openCheckpoint(p.checkpoint, [parseVkey(vkey)], ORIGIN).checkpoint;
    expect(toBase64(cp.root)).toBe(p.toRoot);
    expect(checkConsistency(100, b64(p.fromRoot), 600, cp.root, p.proof.map(b64))).toBe(true);
  });

  it("fails with exit 2 when there is no such checkpoint or the range is wrong", async () => {
    for (const args of [
      ["inclusion", "5", "--size", "5"],
      ["inclusion", "700"],
      ["consistency", "0"],
      ["consistency", "650", "600"],
    ]) {
      const r = await logseal(["prove", ...args, "--store", store, "--json"]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(json<{ ok: boolean }>(r).ok).toBe(false);
    }
  });
});

describe("logseal export", () => {
  it("writes the C2SP tlog-tiles layout whose tiles give the checkpoint root", async () => {
    const out = join(dir, "tiles");
    const r = await logseal(["export", "--store", store, "--tiles", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(out, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => relative(out, join(d.parentPath, d.name)))
      .sort();
    const expected = [
      "checkpoint",
      ...tilesForSize(N).map((t) => tilePath(t.level, t.index, t.width)),
      entriesPath(0),
      entriesPath(1),
      entriesPath(2, N - 512),
    ].sort();
    expect(files).toEqual(expected);
    expect(files).toContain("tile/0/002.p/188");
    expect(files).toContain("tile/1/000.p/2");

    // An independent recomputation from the exported entries only.
    const leaves: Uint8Array[] = [];
    for (const [n, width] of [
      [0, 256],
      [1, 256],
      [2, 188],
    ] as const) {
      const bundle = await readFile(join(out, entriesPath(n, width === 256 ? undefined : width)));
      leaves.push(...(parseEntryBundle(new Uint8Array(bundle), width) ?? []));
    }
    expect(leaves).toHaveLength(N);
    const cp = openCheckpoint(
      await readFile(join(out, "checkpoint"), "utf8"),
      [parseVkey(vkey)],
      ORIGIN,
    ).checkpoint;
    expect(toBase64(treeHash(leaves.map(leafHash)))).toBe(toBase64(cp.root));
    const tile0 = new Uint8Array(await readFile(join(out, "tile/0/001")));
    expect(toBase64(tile0.subarray(0, 32))).toBe(toBase64(leafHash(leaves[256] as Uint8Array)));
  });
});

describe("logseal verify", () => {
  it("passes an intact store with the pinned key (exit 0) and reports in JSON", async () => {
    const r = await logseal(["verify", "--store", store, "--key", vkey, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rep = json<{
      ok: boolean;
      size: number;
      checkpoints: { ok: boolean }[];
      failures: unknown[];
    }>(r);
    expect(rep).toMatchObject({ ok: true, size: N, failures: [] });
    expect(rep.checkpoints).toHaveLength(4);
    expect(rep.checkpoints.every((c) => c.ok)).toBe(true);
    const human = await logseal(["verify", "--store", store, "--key", vkey]);
    expect(human.stdout).toContain("ok: 700 entries");
    expect(human.stderr).toBe(""); // no progress bar when stderr is not a terminal
  });

  it("needs a pinned key, or says plainly that the store's own key was used", async () => {
    const none = await logseal(["verify", "--store", store]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--key");
    const own = await logseal(["verify", "--store", store, "--trust-store-key"]);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain("not pinned");
    const bad = await logseal(["verify", "--store", store, "--key", "not-a-key"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("E_KEY_INVALID");
  });

  it("fails (exit 1) with another log's key", async () => {
    const other = join(dir, "other");
    const otherKey = json<{ vkey: string }>(
      await logseal(["init", "--store", other, "--origin", ORIGIN, "--json"]),
    ).vkey;
    const r = await logseal(["verify", "--store", store, "--key", otherKey, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.stringify(json(r))).toContain("pinned");
  });

  it("reports exit 3 for a store held by another process", async () => {
    const db = new Level(join(store, "db"));
    await db.open();
    try {
      const r = await logseal(["verify", "--store", store, "--key", vkey]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("E_STORE_LOCKED");
    } finally {
      await db.close();
    }
  });
});

describe("tampering", () => {
  /** A copy of the store to damage. */
  async function copy(name: string): Promise<string> {
    const to = join(dir, name);
    const { cp } = await import("node:fs/promises");
    await cp(store, to, { recursive: true });
    return to;
  }

  async function rewrite(
    storeDir: string,
    key: string,
    change: (v: Uint8Array) => Uint8Array,
  ): Promise<void> {
    const db = new Level<string, Uint8Array>(join(storeDir, "db"), { valueEncoding: "view" });
    await db.open();
    const v = (await db.get(key)) as Uint8Array;
    await db.put(key, change(new Uint8Array(v)));
    await db.close();
  }

  it("names the entry whose stored bytes were rewritten", async () => {
    const s = await copy("tamper-entry");
    // Entry 37 of bundle 0: walk the length prefixes, then flip a byte inside it.
    await rewrite(s, "b/0000000000000000", (v) => {
      let off = 0;
      for (let i = 0; i < 37; i++) off += 2 + ((v[off] as number) << 8) + (v[off + 1] as number);
      v[off + 10] = (v[off + 10] as number) ^ 0x01;
      return v;
    });
    const r = await logseal(["verify", "--store", s, "--key", vkey, "--json"]);
    expect(r.code).toBe(1);
    const rep = json<{
      ok: boolean;
      failures: Array<{ kind: string; entry?: number; index?: number }>;
    }>(r);
    expect(rep.ok).toBe(false);
    expect(rep.failures.some((f) => f.kind === "tile" && f.entry === 37)).toBe(true);
    const human = await logseal(["verify", "--store", s, "--key", vkey]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("entry 37");
  });

  it("catches a rewrite of entries and tiles together by the signed roots", async () => {
    const s = await copy("tamper-tree");
    // Rewrite the whole tree consistently, as someone with file access but no key could.
    const db = new Level<string, Uint8Array>(join(s, "db"), { valueEncoding: "view" });
    await db.open();
    const bundle = (await db.get("b/0000000000000002")) as Uint8Array;
    const entries = parseEntryBundle(bundle, N - 512) as Uint8Array[];
    const forged = entries.map((e) => new Uint8Array(e));
    const victim = forged[5] as Uint8Array;
    victim[12] = (victim[12] as number) ^ 1;
    const { encodeEntryBundle } = await import("../../src/merkle/index.js");
    await db.put("b/0000000000000002", encodeEntryBundle(forged));
    const tile = new Uint8Array((await db.get("t/00/0000000000000002")) as Uint8Array);
    tile.set(leafHash(forged[5] as Uint8Array), 5 * 32);
    await db.put("t/00/0000000000000002", tile);
    await db.close();
    const r = await logseal(["verify", "--store", s, "--key", vkey, "--json"]);
    expect(r.code).toBe(1);
    const rep = json<{ failures: Array<{ kind: string; size?: number }> }>(r);
    expect(rep.failures.filter((f) => f.kind === "checkpoint").map((f) => f.size)).toEqual([
      600,
      N,
    ]);
    expect(rep.failures.filter((f) => f.kind !== "checkpoint")).toEqual([]);
  });

  it("fails on a checkpoint whose signature was changed", async () => {
    const s = await copy("tamper-sig");
    await rewrite(s, `c/${String(300).padStart(16, "0")}`, (v) => {
      const text = Buffer.from(v).toString("utf8");
      const i = text.lastIndexOf(" ") + 20;
      const swapped = text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
      return new Uint8Array(Buffer.from(swapped, "utf8"));
    });
    const r = await logseal(["verify", "--store", s, "--key", vkey, "--json"]);
    expect(r.code).toBe(1);
    const rep = json<{ failures: Array<{ kind: string; size?: number }> }>(r);
    expect(rep.failures.map((f) => [f.kind, f.size])).toEqual([["checkpoint", 300]]);
  });

  it("reports a bundle that was cut short", async () => {
    const s = await copy("tamper-cut");
    await rewrite(s, "b/0000000000000001", (v) => v.subarray(0, v.length - 3));
    const r = await logseal(["verify", "--store", s, "--key", vkey, "--json"]);
    expect(r.code).toBe(1);
    expect(
      json<{ failures: Array<{ kind: string; bundle?: number }> }>(r).failures[0],
    ).toMatchObject({ kind: "bundle", bundle: 1 });
  });

  /** Rewrites (or, with `undefined`, deletes) one key of a copy of the store; verifies it. */
  async function tampered(
    name: string,
    key: string,
    change: (v: Uint8Array, skey: string) => Uint8Array | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    const s = await copy(name);
    const skey = (await readFile(join(s, "signer.key"), "utf8")).trim();
    const db = new Level<string, Uint8Array>(join(s, "db"), { valueEncoding: "view" });
    await db.open();
    const next = change(new Uint8Array((await db.get(key)) as Uint8Array), skey);
    if (next === undefined) await db.del(key);
    else await db.put(key, next);
    await db.close();
    const r = await logseal(["verify", "--store", s, "--key", vkey, "--json"]);
    expect(r.code, r.stderr).toBe(1);
    return json<{ failures: Array<Record<string, unknown>> }>(r).failures;
  }

  const pad = (n: number) => String(n).padStart(16, "0");
  const text = (s: string) => new TextEncoder().encode(s);

  it.each([
    [
      "a garbage bundle",
      `b/${pad(1)}`,
      () => text("garbage"),
      { kind: "bundle", bundle: 1, reason: "malformed" },
    ],
    [
      "a missing bundle",
      `b/${pad(2)}`,
      () => undefined,
      { kind: "bundle", bundle: 2, reason: "missing" },
    ],
    [
      "a changed hash tile",
      `t/00/${pad(1)}`,
      (v: Uint8Array) => v.map((b, i) => (i === 40 ? b ^ 1 : b)),
      { kind: "tile", level: 0, index: 1, hash: 1, entry: 257, reason: "changed" },
    ],
    [
      "a truncated hash tile",
      `t/01/${pad(0)}`,
      (v: Uint8Array) => v.subarray(0, 40),
      { kind: "tile", level: 1, index: 0, hash: 1, reason: "truncated" },
    ],
    [
      "a missing hash tile",
      `t/00/${pad(2)}`,
      () => undefined,
      { kind: "tile", level: 0, index: 2, reason: "missing" },
    ],
    [
      "an unparsable checkpoint",
      `c/${pad(600)}`,
      () => text("garbage"),
      { kind: "checkpoint", size: 600 },
    ],
    [
      "a checkpoint signed over a wrong root",
      `c/${pad(300)}`,
      (_v: Uint8Array, skey: string) =>
        text(
          signCheckpoint(
            { origin: ORIGIN, size: 300, root: new Uint8Array(32), extensions: [] },
            parseSkey(skey),
          ),
        ),
      { kind: "checkpoint", size: 300, actual: toBase64(new Uint8Array(32)) },
    ],
    [
      "a checkpoint stored under another size",
      `c/${pad(600)}`,
      (_v: Uint8Array, skey: string) =>
        text(
          signCheckpoint(
            { origin: ORIGIN, size: 601, root: new Uint8Array(32), extensions: [] },
            parseSkey(skey),
          ),
        ),
      { kind: "checkpoint", size: 600, signer: ORIGIN },
    ],
    [
      "a raised tree size",
      "meta/size",
      () => text("800"),
      { kind: "bundle", bundle: 2, reason: "count", actual: 188 },
    ],
  ] as const)("locates %s", async (name, key, change, first) => {
    const failures = await tampered(`tamper-${name.replaceAll(" ", "-")}`, key, change);
    expect(failures[0]).toMatchObject(first);
  });

  it("catches a lowered tree size that hides entries", async () => {
    const failures = await tampered("tamper-lowered", "meta/size", () => text("512"));
    expect(failures.map((f) => [f.kind, f.size])).toEqual([
      ["checkpoint", 600],
      ["checkpoint", N],
      ["size", 512],
    ]);
  });
});

describe("logseal demo", () => {
  it("creates a verified demo store and says what to try next", async () => {
    const demo = join(dir, "demo");
    const r = await logseal(["demo", "--store", demo]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("verified");
    expect(r.stdout).toContain("try next");
    const vk = (await logseal(["keys", "show", "--store", demo])).stdout.trim();
    const v = await logseal(["verify", "--store", demo, "--key", vk, "--json"]);
    expect(v.code).toBe(0);
    const size = json<{ size: number }>(v).size;
    expect(size).toBeGreaterThan(200);
    // Running it again replaces the demo store; it refuses a directory that is something else.
    expect((await logseal(["demo", "--store", demo])).code).toBe(0);
    const other = join(dir, "not-a-demo");
    await writeFile(other, "keep me");
    const refused = await logseal(["demo", "--store", other]);
    expect(refused.code).toBe(3);
    expect((await stat(other)).isFile()).toBe(true);
  });
});
