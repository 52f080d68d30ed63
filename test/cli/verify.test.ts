/**
 * `logseal verify` end to end through the built CLI: a store and its tiles export give the same
 * report; `--since` proves a saved checkpoint and catches a rewritten log; `--proof` checks one
 * proof with no store; worker threads give the same report as inline hashing; usage and input
 * errors get their exit codes.
 */
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, json, jsonl, logseal, ORIGIN, tempDir } from "./cli.js";

let dir: string;
let store: string;
let tiles: string;
let vkey: string;
let cleanup: () => Promise<void>;
const N = 700;

interface Report {
  ok: boolean;
  mode: string;
  source: { type: string; path: string };
  size: number;
  start: number;
  entries: number;
  tiles: number;
  root: string;
  checkpoints: Array<{ size: number; ok: boolean }>;
  since?: { size: number; root: string };
  latest?: { size: number; root: string };
  consistency?: { from: number; to: number; proof: string[]; ok: boolean };
  failures: Array<Record<string, unknown> & { kind: string; message: string }>;
  moreFailures: number;
}

const events = (from: number, to: number, tag = "") =>
  jsonl(
    Array.from({ length: to - from }, (_, i) => event(from + i, { details: { n: from + i, tag } })),
  );

async function append(s: string, input: string): Promise<void> {
  const r = await logseal(["append", "--store", s, "--checkpoint"], { input });
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  store = join(dir, "store");
  tiles = join(dir, "tiles");
  vkey = json<{ vkey: string }>(
    await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]),
  ).vkey;
  await append(store, events(0, 300));
  const list = json<Array<{ size: number; note: string }>>(
    await logseal(["checkpoint", "--list", "--store", store, "--json"]),
  );
  await writeFile(join(dir, "saved-300.txt"), list[0]?.note ?? "");
  await append(store, events(300, N));
  expect((await logseal(["export", "--store", store, "--tiles", tiles])).code).toBe(0);
}, 60_000);
afterAll(() => cleanup());

const verify = async (args: string[]) => {
  const r = await logseal(["verify", "--key", vkey, ...args, "--json"]);
  return { code: r.code, report: json<Report>(r), stderr: r.stderr };
};

describe("logseal verify --tiles", () => {
  it("gives the report of the store it was exported from", async () => {
    const s = await verify(["--store", store]);
    const t = await verify(["--tiles", tiles]);
    expect([s.code, t.code]).toEqual([0, 0]);
    expect(s.report).toMatchObject({ mode: "full", source: { type: "store", path: store } });
    expect(t.report).toMatchObject({ mode: "tiles", source: { type: "tiles", path: tiles } });
    // What differs by nature: the mode, the source, and the checkpoints kept (a tiles
    // directory has only its latest).
    const same = ({ mode, source, checkpoints, ...rest }: Report) => rest;
    expect(same(t.report)).toEqual(same(s.report));
    expect(t.report.checkpoints).toEqual(s.report.checkpoints.slice(-1));
    const human = await logseal(["verify", "--tiles", tiles, "--key", vkey]);
    expect(human.stdout).toContain(`tiles ${tiles}: log ${ORIGIN}: 700 entries`);
    expect(human.stdout).toContain("ok: 700 entries, 4 hash tiles, 1 of 1 checkpoints verified");
  });

  it("locates tampering in the files, and fails on a damaged checkpoint", async () => {
    const t = join(dir, "tiles-tampered");
    await cp(tiles, t, { recursive: true });
    const bundle = join(t, "tile/entries/001");
    const b = await readFile(bundle);
    b[2 + 20] = (b[2 + 20] as number) ^ 1; // entry 256
    await writeFile(bundle, b);
    await rm(join(t, "tile/0/000"));
    const r = await verify(["--tiles", t]);
    expect(r.code).toBe(1);
    expect(r.report.failures.map((f) => [f.kind, f.level, f.index, f.reason])).toEqual([
      ["tile", 0, 0, "missing"],
      ["tile", 0, 1, "changed"],
      ["checkpoint", undefined, undefined, undefined],
      ["tile", 1, 0, "changed"],
    ]);
    expect(r.report.failures[1]?.entry).toBe(256);
    await writeFile(join(t, "checkpoint"), "not a checkpoint");
    const bad = await verify(["--tiles", t]);
    expect(bad.code).toBe(1);
    expect(bad.report.failures[0]).toMatchObject({ kind: "checkpoint" });
  });

  it("exits 3 when there is no tiles directory", async () => {
    const r = await logseal(["verify", "--tiles", join(dir, "nothing"), "--key", vkey]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("E_STORE_MISSING");
  });
});

describe("logseal verify --since", () => {
  it("proves the log extends the saved checkpoint and rebuilds only what came after", async () => {
    const r = await verify(["--store", store, "--since", join(dir, "saved-300.txt")]);
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({
      ok: true,
      mode: "incremental",
      start: 256,
      entries: N - 256,
      since: { size: 300 },
      latest: { size: N },
      consistency: { from: 300, to: N, ok: true },
    });
    expect(r.report.checkpoints.map((c) => c.size)).toEqual([300, N]);
    const human = await logseal([
      "verify",
      "--store",
      store,
      "--key",
      vkey,
      "--since",
      join(dir, "saved-300.txt"),
    ]);
    expect(human.stdout).toContain("since: your checkpoint of size 300");
    expect(human.stdout).toContain(`consistency 300 -> ${N}: proved, proof of`);
    expect(human.stdout).toContain("ok: the log extends your checkpoint; entries 256..699 rebuilt");
    const tilesRun = await verify(["--tiles", tiles, "--since", join(dir, "saved-300.txt")]);
    expect(tilesRun.report).toMatchObject({ ok: true, mode: "incremental", entries: N - 256 });
  });

  it("fails on a log rewritten before the saved checkpoint, showing both checkpoints and the proof", async () => {
    // The operator rewrites history with the log's own signing key, and signs the new tree.
    const forged = join(dir, "forged");
    const init = await logseal([
      "init",
      "--store",
      forged,
      "--origin",
      ORIGIN,
      "--signer",
      join(store, "signer.key"),
    ]);
    expect(init.code, init.stderr).toBe(0);
    await append(forged, events(0, 300, "rewritten"));
    await append(forged, events(300, N));
    const r = await verify(["--store", forged, "--since", join(dir, "saved-300.txt")]);
    expect(r.code).toBe(1);
    expect(r.report.consistency).toMatchObject({ from: 300, to: N, ok: false });
    expect(r.report.failures[0]).toMatchObject({ kind: "consistency", from: 300, to: N });
    expect(r.report.failures[0]?.proof).toEqual(r.report.consistency?.proof);
    const human = await logseal([
      "verify",
      "--store",
      forged,
      "--key",
      vkey,
      "--since",
      join(dir, "saved-300.txt"),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("since: your checkpoint of size 300");
    expect(human.stdout).toContain(`latest: checkpoint of size ${N}`);
    expect(human.stdout).toContain(`consistency 300 -> ${N}: NOT proved`);
    expect(human.stdout).toContain("the log was rewritten before your checkpoint");
  });

  it("rejects a saved checkpoint that is not one (exit 2) or cannot be read (exit 3)", async () => {
    await writeFile(join(dir, "junk.txt"), "junk");
    const junk = await logseal([
      "verify",
      "--store",
      store,
      "--key",
      vkey,
      "--since",
      join(dir, "junk.txt"),
    ]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("E_NOTE_MALFORMED");
    const none = await logseal([
      "verify",
      "--store",
      store,
      "--key",
      vkey,
      "--since",
      join(dir, "none.txt"),
    ]);
    expect(none.code).toBe(3);
  });
});

describe("logseal verify --proof", () => {
  it("checks inclusion and consistency proofs with no store", async () => {
    const inc = join(dir, "inclusion.json");
    const con = join(dir, "consistency.json");
    await writeFile(
      inc,
      (await logseal(["prove", "inclusion", "123", "--store", store, "--json"])).stdout,
    );
    await writeFile(
      con,
      (await logseal(["prove", "consistency", "300", "--store", store, "--json"])).stdout,
    );
    const i = await logseal(["verify", "--proof", inc, "--key", vkey, "--json"]);
    expect(i.code, i.stderr).toBe(0);
    expect(json(i)).toMatchObject({
      ok: true,
      mode: "proof",
      source: { type: "proof", path: inc },
      origin: ORIGIN,
      proof: { type: "inclusion", index: 123, size: N, ok: true },
      checkpoint: { size: N, ok: true },
    });
    const c = await logseal([
      "verify",
      "--proof",
      con,
      "--key",
      vkey,
      "--since",
      join(dir, "saved-300.txt"),
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain("consistency proof: the tree of size 300");
    expect(c.stdout).toContain("ok: the proof holds against the signed checkpoint");
    const stdin = await logseal(["verify", "--proof", "-", "--key", vkey], {
      input: await readFile(inc),
    });
    expect(stdin.code).toBe(0);
  });

  it("fails a tampered proof (exit 1) and rejects what is not a proof (exit 2)", async () => {
    const p = JSON.parse(
      (await logseal(["prove", "inclusion", "5", "--store", store, "--json"])).stdout,
    );
    await writeFile(join(dir, "bad.json"), JSON.stringify({ ...p, index: 6 }));
    const bad = await logseal(["verify", "--proof", join(dir, "bad.json"), "--key", vkey]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("the proof does not hold");
    const other = json<{ vkey: string }>(
      await logseal(["init", "--store", join(dir, "other"), "--origin", ORIGIN, "--json"]),
    ).vkey;
    await writeFile(join(dir, "good.json"), JSON.stringify(p));
    expect(
      (await logseal(["verify", "--proof", join(dir, "good.json"), "--key", other])).code,
    ).toBe(1);
    await writeFile(join(dir, "notjson.json"), "{");
    const nj = await logseal(["verify", "--proof", join(dir, "notjson.json"), "--key", vkey]);
    expect(nj.code).toBe(2);
    expect(nj.stderr).toContain("E_INPUT_JSON");
  });
});

describe("logseal verify usage", () => {
  it.each([
    [["--store", "a", "--tiles", "b"], "--store and --tiles"],
    [["--tiles", "b", "--trust-store-key"], "--trust-store-key needs a store"],
    [["--proof", "p.json"], "pin the log's verifier key"],
    [["--proof", "p.json", "--key", "K", "--check-events"], "--check-events"],
    [["--store", "a", "--key", "K", "--workers", "1.5"], "--workers"],
  ])("verify %j exits 2", async (args, message) => {
    const r = await logseal(["verify", ...args.map((a) => (a === "K" ? vkey : a))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe("logseal verify with worker threads", () => {
  it("gives the same report as inline hashing, tampered or not, across many chunks", async () => {
    const big = join(dir, "big");
    await logseal([
      "init",
      "--store",
      big,
      "--origin",
      ORIGIN,
      "--signer",
      join(store, "signer.key"),
    ]);
    const n = 12_500; // four chunks of 16 bundles
    await append(big, events(0, 2_000));
    await append(big, events(2_000, n));
    const db = new Level<string, Uint8Array>(join(big, "db"), { valueEncoding: "view" });
    await db.open();
    for (const key of ["b/0000000000000003", "b/0000000000000020"]) {
      const v = new Uint8Array((await db.get(key)) as Uint8Array);
      v[10] = (v[10] as number) ^ 1;
      await db.put(key, v);
    }
    await db.put("t/00/0000000000000040", new Uint8Array(5));
    await db.close();
    const inline = await verify(["--store", big, "--workers", "0"]);
    const pooled = await verify(["--store", big, "--workers", "2"]);
    expect(inline.code).toBe(1);
    expect(inline.report.entries).toBe(n);
    expect(pooled.report).toEqual(inline.report);
    // In bundle order: each changed entry, then the checkpoints after it that it breaks.
    expect(inline.report.failures.map((f) => [f.kind, f.index ?? f.size])).toEqual([
      ["tile", 3],
      ["checkpoint", 2_000],
      ["tile", 20],
      ["tile", 40],
      ["checkpoint", n],
      ["tile", 0],
    ]);
  }, 120_000);
});

describe("logseal verify --check-events", () => {
  it("decodes every entry when asked", async () => {
    const r = await verify(["--store", store, "--check-events"]);
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ ok: true, eventsChecked: true });
  });
});
