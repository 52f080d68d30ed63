/** The lineage commands end to end through the built CLI: reindex, import, lineage, assets, query. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkInclusion,
  createToken,
  decodeLeaf,
  fromBase64,
  Log,
  leafHash,
  lineageEdges,
  open,
  openCheckpoint,
  parseVkey,
} from "../../src/index.js";
import { json, jsonl, logseal, MAIN, tempDir } from "../cli/cli.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const ORIGIN = "example.com/logseal/lineage-cli";

let dir: string;
let store: string;
let vkey: string;
let cleanup: () => Promise<void>;

const chain = (from: string, to: string, n: number) => ({
  id: `chain-${n}`,
  ts: 1_795_000_000_000 + n * 60_000,
  actor: { id: n % 2 === 0 ? "alice" : "svc-etl" },
  action: "dataset.transform",
  outcome: "success",
  asset: to,
  inputs: [from],
  outputs: [to],
  controls: ["A.8.32"],
});

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  store = join(dir, "store");
  vkey = json<{ vkey: string }>(
    await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]),
  ).vkey;
  // Written as a logseal from before the indexes did (a Log without hooks): it needs a reindex.
  const opened = await open(store);
  const old = new Log(opened.store);
  await old.append([
    chain("source:s3/a", "dataset:raw/a", 0),
    chain("dataset:raw/a", "dataset:clean/a", 1),
    chain("dataset:clean/a", "model:m@1", 2),
  ]);
  await old.checkpoint();
  await opened.close();
});
afterAll(() => cleanup());

describe("a store written by this logseal", () => {
  it("answers lineage, assets and query after 'append' and 'demo', without a reindex", async () => {
    const fresh = join(dir, "fresh");
    expect((await logseal(["init", "--store", fresh, "--origin", ORIGIN])).code).toBe(0);
    // Queries on the empty store answer (nothing to index yet).
    expect((await logseal(["assets", "--store", fresh])).stdout).toBe("no assets yet\n");
    const a = await logseal(["append", "--store", fresh], {
      input: jsonl([chain("source:s3/x", "dataset:x", 0), chain("dataset:x", "model:x@1", 1)]),
    });
    expect(a.code, a.stderr).toBe(0);
    const b = await logseal(["append", "--store", fresh], {
      input: jsonl([chain("model:x@1", "model:x@2", 2)]),
    });
    expect(b.code, b.stderr).toBe(0);
    const g = json<{ nodes: Array<{ id: string }> }>(
      await logseal(["lineage", "model:x@2", "--json", "--store", fresh]),
    );
    expect(g.nodes.map((n) => n.id)).toEqual([
      "model:x@2",
      "model:x@1",
      "dataset:x",
      "source:s3/x",
    ]);
    const q = json<{ entries: Array<{ index: number }> }>(
      await logseal(["query", "--actor", "alice", "--json", "--store", fresh]),
    );
    expect(q.entries.map((e) => e.index)).toEqual([0, 2]);

    const demo = join(dir, "demo");
    const d = await logseal(["demo", "--store", demo]);
    expect(d.code, d.stderr).toBe(0);
    const models = json<Array<{ asset: string }>>(
      await logseal(["assets", "--kind", "model", "--json", "--store", demo]),
    );
    expect(models.length).toBeGreaterThan(0);
  });
});

describe("logseal reindex and import", () => {
  it("refuses queries until reindexed, then answers", async () => {
    const before = await logseal(["lineage", "model:m@1", "--store", store]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("E_INDEX_STALE");
    expect(before.stderr).toContain(`run 'logseal reindex --store ${store}'`);
    const r = await logseal(["reindex", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^indexed 3 entries naming 4 assets \(logseal-index\/3\)\ntook \d+\.\d s\n$/,
    );
  });

  it("imports OpenLineage from a file and from stdin; a re-import appends nothing", async () => {
    const f = join(FIXTURES, "03_fluentd_event_simple.json");
    const r = await logseal(["import", "--openlineage", f, "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      "read 1 RunEvent: appended 1, 0 already in the log, 0 not imported\ntree size 4\n",
    );
    const again = await logseal(["import", "--openlineage", "-", "--store", store, "--json"], {
      input: await (await import("node:fs/promises")).readFile(f),
    });
    expect(json(again)).toEqual({
      read: 1,
      appended: 0,
      duplicates: 1,
      problems: [],
      indexes: [],
      size: 4,
    });
  });

  it("reports bad RunEvents with their lines, and --strict imports nothing", async () => {
    const good = JSON.stringify({
      eventType: "START",
      eventTime: "2026-11-26T08:00:00Z",
      run: { runId: "cli-run-1" },
      job: { namespace: "ns", name: "job" },
      outputs: [{ namespace: "s3://b", name: "out" }],
    });
    const input = `${good}\n{"eventType":"START"}\n`;
    const strict = await logseal(["import", "--openlineage", "--store", store, "--strict"], {
      input,
    });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("E_OPENLINEAGE_INVALID: <stdin>:2: 1 of 2 RunEvents");
    const r = await logseal(["import", "--openlineage", "--store", store], { input });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("appended 1, 0 already in the log, 1 not imported");
    expect(r.stdout).toContain("<stdin>:2: no run: not a RunEvent");
    const none = await logseal(["import", "--store", store], { input });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--openlineage");
  });
});

describe("logseal lineage", () => {
  it("prints the tree, JSON, DOT and PROV-JSON", async () => {
    const tree = await logseal(["lineage", "model:m@1", "--store", store]);
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout.split("\n").slice(0, 4)).toEqual([
      "model:m@1",
      "└── dataset:clean/a  (dataset.transform by alice, 2026-11-18T11:08:40.000Z, entry 2)",
      "    └── dataset:raw/a  (dataset.transform by svc-etl, 2026-11-18T11:07:40.000Z, entry 1)",
      "        └── source:s3/a  (dataset.transform by alice, 2026-11-18T11:06:40.000Z, entry 0)",
    ]);
    const j = json<{ nodes: unknown[]; edges: Array<{ from: string; index: number }> }>(
      await logseal([
        "lineage",
        "source:s3/a",
        "--down",
        "--depth",
        "2",
        "--store",
        store,
        "--json",
      ]),
    );
    expect(j).toMatchObject({ asset: "source:s3/a", direction: "down", depth: 2, truncated: true });
    expect(j.edges.map((e) => e.index)).toEqual([0, 1]);
    const dot = await logseal(["lineage", "dataset:raw/a", "--both", "--dot", "--store", store]);
    expect(dot.stdout).toContain('"dataset:raw/a" -> "dataset:clean/a"');
    const prov = json<Record<string, unknown>>(
      await logseal(["lineage", "model:m@1", "--prov", "--store", store]),
    );
    expect(Object.keys(prov.activity as object).sort()).toEqual(["entry:0", "entry:1", "entry:2"]);
  });

  it("adds proofs that check offline against the embedded checkpoint", async () => {
    const r = await logseal(["lineage", "model:m@1", "--store", store, "--json", "--proofs"]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{
      asOf: number;
      edges: Array<{ from: string; to: string; index: number }>;
      proofs: {
        checkpoint: { size: number; note: string };
        entries: Array<{ index: number; leaf: string; leafHash: string; proof: string[] }>;
      };
    }>(r);
    // The latest checkpoint is of size 3 (the imports came later): the answer is as of 3.
    expect(out.asOf).toBe(3);
    expect(r.stderr).toContain("answering as of the latest checkpoint (size 3 of");
    const cp = openCheckpoint(out.proofs.checkpoint.note, [parseVkey(vkey)], ORIGIN).checkpoint;
    const b64 = (s: string) => fromBase64(s) as Uint8Array;
    expect(out.edges).toHaveLength(3);
    for (const e of out.edges) {
      const p = out.proofs.entries.find((x) => x.index === e.index);
      if (p === undefined) throw new Error(`no proof for entry ${e.index}`);
      const leaf = b64(p.leaf);
      expect(checkInclusion(p.index, cp.size, leafHash(leaf), p.proof.map(b64), cp.root)).toBe(
        true,
      );
      expect(lineageEdges(decodeLeaf(leaf), p.index)).toContainEqual({ from: e.from, to: e.to });
    }
    const noCp = await logseal([
      "lineage",
      "dataset:clean/a",
      "--as-of",
      "2",
      "--json",
      "--proofs",
      "--store",
      store,
    ]);
    expect(noCp.code).toBe(2);
    expect(noCp.stderr).toContain("E_NO_CHECKPOINT");
  });

  it("rejects bad arguments before opening the store, exit 2", async () => {
    const cases: Array<[string[], string]> = [
      [["lineage", "model:m@1", "--depth", "-1"], "--depth must be a non-negative integer"],
      [["lineage", "model:m@1", "--up", "--down"], "choose one of --up, --down, --both"],
      [["lineage", "model:m@1", "--dot", "--proofs"], "--proofs goes with --json or --prov"],
      [["query", "--jsonl", "--limit", "x"], "--limit must be a non-negative integer"],
    ];
    const results = await Promise.all(cases.map(([args]) => logseal([...args, "--store", store])));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(cases[i]?.[1]);
      expect(r.stdout).toBe("");
    });
  });

  it.each([
    [["query", "--since", "yesterday"], 'field --since: cannot read "yesterday" as a time'],
    [["assets", "--kind", "Model"], "is not an asset kind"],
  ])("%j exits 2 with a clear error", async (args, text) => {
    const r = await logseal([...args, "--store", store]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stdout).toBe("");
  });

  it("names an unknown asset, as text and as JSON", async () => {
    const r = await logseal(["lineage", "model:nope", "--json", "--store", store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("logseal: E_ASSET_UNKNOWN: field asset: no event");
    expect(json(r)).toMatchObject({
      ok: false,
      error: { code: "E_ASSET_UNKNOWN", field: "asset" },
    });
  });
});

describe("logseal assets and query", () => {
  it("lists the inventory", async () => {
    const r = await logseal(["assets", "--store", store, "--kind", "dataset", "--json"]);
    const list = json<Array<{ asset: string; events: number; lastActor: string }>>(r);
    expect(list.map((a) => a.asset)).toEqual([
      "dataset:clean/a",
      "dataset:my-datasource-namespace/instance.schema.input-1",
      "dataset:my-datasource-namespace/instance.schema.input-2",
      "dataset:my-datasource-namespace/instance.schema.output-1",
      "dataset:raw/a",
      "dataset:s3://b/out",
    ]);
    expect(list[0]).toMatchObject({ events: 2, lastActor: "alice" });
    const text = await logseal(["assets", "--store", store, "--kind", "model"]);
    expect(text.stdout.split("\n")[0]).toMatch(
      /^ASSET\s+EVENTS\s+FIRST SEEN\s+LAST SEEN\s+LAST ACTOR\s+ERASED$/,
    );
    expect(text.stdout).toContain("model:m@1");
  });

  it("pages with a cursor, as text, JSON and JSON lines", async () => {
    const p1 = json<{ entries: Array<{ index: number }>; cursor: string; more: boolean }>(
      await logseal(["query", "--store", store, "--control", "A.8.32", "--limit", "2", "--json"]),
    );
    expect(p1.entries.map((e) => e.index)).toEqual([0, 1]);
    expect(p1.more).toBe(true);
    const p2 = await logseal([
      "query",
      "--store",
      store,
      "--control",
      "A.8.32",
      "--cursor",
      p1.cursor,
      "--jsonl",
    ]);
    expect(p2.code, p2.stderr).toBe(0);
    const lines = p2.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { index: number });
    // 3 and 4 are the imported OpenLineage run events: the default controls policy of
    // `logseal init` maps run.* to A.8.32 (formats/controls-policy.md).
    expect(lines.map((l) => l.index)).toEqual([2, 3, 4]);
    expect(p2.stderr).toMatch(/^next page: --cursor \S+\n$/);
    const text = await logseal([
      "query",
      "--store",
      store,
      "--actor",
      "alice",
      "--since",
      "2026-11-18T11:07:00Z",
    ]);
    expect(text.stdout).toBe(
      "     2  2026-11-18T11:08:40.000Z  alice  dataset.transform  success  model:m@1\n",
    );
    const none = await logseal(["query", "--store", store, "--actor", "nobody"]);
    expect(none.stdout).toBe("no matching events\n");
  });
});

describe("through a running server", () => {
  it("lineage, assets and query read through 'logseal serve' when it holds the store", async () => {
    const commands = [
      ["lineage", "model:m@1", "--both", "--json"],
      ["lineage", "model:m@1", "--json", "--proofs"],
      ["lineage", "dataset:raw/a", "--down", "--depth", "1"],
      ["assets", "--json"],
      ["assets", "--kind", "model"],
      ["query", "--control", "A.8.32", "--limit", "2", "--json"],
      ["query", "--actor", "alice"],
    ];
    const opened = await open(store);
    const { token } = await createToken(opened.store, { name: "lineage-cli", role: "viewer" });
    // A checkpoint of the whole log first: 'logseal serve' signs one on its interval when the
    // latest is behind the log, and on a loaded machine that came between the local answers
    // and the server's, which then answered --proofs as of a newer checkpoint.
    await opened.checkpoint();
    await opened.close();
    const local = [];
    for (const c of commands) {
      const r = await logseal([...c, "--store", store]);
      expect(r.code, r.stderr).toBe(0);
      local.push(r.stdout);
    }
    const child = spawn(
      process.execPath,
      [MAIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise((r) => child.on("exit", r));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout?.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (out.includes("\n"))
            resolve((JSON.parse(out.split("\n")[0] as string) as { url: string }).url);
        });
        void exited.then(() => reject(new Error("serve exited")));
      });
      for (const [i, c] of commands.entries()) {
        const r = await logseal([...c, "--store", store], { env: { LOGSEAL_TOKEN: token } });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(`held by 'logseal serve' at ${url}`);
        expect(r.stdout, c.join(" ")).toBe(local[i]);
      }
      // Without a token it says what to set; a bad query is the same error as locally.
      const none = await logseal(["assets", "--store", store], { env: { LOGSEAL_TOKEN: "" } });
      expect(none.stderr).toContain("LOGSEAL_TOKEN");
      const bad = await logseal(["lineage", "model:nope", "--store", store], {
        env: { LOGSEAL_TOKEN: token },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("E_ASSET_UNKNOWN");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});
