/**
 * `GET /v1/events` from the query indexes, `GET /v1/lineage/<asset>` and `GET /v1/assets`, on a
 * real server over a real store: the same answers as the library the CLI uses, proofs that check
 * offline, pages that stay exact while events are posted, and clear errors.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assets,
  checkInclusion,
  createToken,
  decodeLeaf,
  fromBase64,
  init,
  Log,
  LogClient,
  leafHash,
  lineage,
  lineageEdges,
  lineageToJSON,
  openCheckpoint,
  parseVkey,
  query,
  startServer,
} from "../../src/index.js";
import { ORIGIN, post, startTestServer, type TestServer } from "./server.js";

let t: TestServer;
const b64 = (s: string) => fromBase64(s) as Uint8Array;

/** A derivation of `to` from `from` by `actor`. */
const step = (n: number, from: string[], to: string, actor = "svc-etl") => ({
  id: `step-${n}`,
  ts: 1_795_000_000_000 + n * 1000,
  actor: { id: actor },
  action: "dataset.transform",
  outcome: "success",
  asset: to,
  inputs: from,
  outputs: [to],
  controls: ["A.8.32"],
});

beforeAll(async () => {
  t = await startTestServer();
  // source → raw → clean → model@1, and a diamond: clean → features → model@1.
  const r = await post(t, [
    step(0, ["source:s3/a"], "dataset:raw/a"),
    step(1, ["dataset:raw/a"], "dataset:clean/a", "alice"),
    step(2, ["dataset:clean/a"], "dataset:features/a"),
    step(3, ["dataset:clean/a", "dataset:features/a"], "model:m@1", "alice"),
  ]);
  expect(r.status).toBe(200);
  expect((await t.request("/v1/checkpoint", { method: "POST", as: t.tokens.admin })).status).toBe(
    200,
  );
  // After the checkpoint: not in answers with proofs.
  expect((await post(t, [step(4, ["model:m@1"], "model:m@2")])).status).toBe(200);
});
afterAll(() => t.stop());

const client = (as: keyof TestServer["tokens"]) => new LogClient(t.url, { token: t.tokens[as] });

describe("GET /v1/lineage/<asset>", () => {
  it("answers what the library (and 'logseal lineage --json') answers", async () => {
    for (const [asset, q, direction, depth] of [
      ["model:m@2", "", "up", 20],
      ["dataset:raw/a", "?direction=down&depth=2", "down", 2],
      ["dataset:clean/a", "?direction=both", "both", 20],
    ] as const) {
      const r = await t.request(`/v1/lineage/${encodeURIComponent(asset)}${q}`, {
        as: t.tokens.viewer,
      });
      expect(r.status, asset).toBe(200);
      const want = lineageToJSON(await lineage(t.log.store, asset, { direction, depth }));
      expect(await r.json()).toEqual(JSON.parse(JSON.stringify(want)));
    }
    const g = await client("auditor").lineage("model:m@1");
    expect(g.nodes.map((n) => n.id).sort()).toEqual([
      "dataset:clean/a",
      "dataset:features/a",
      "dataset:raw/a",
      "model:m@1",
      "source:s3/a",
    ]);
    expect(g.edges).toHaveLength(5);
  });

  it("with proofs=1 answers as of the latest checkpoint, and the proofs check offline", async () => {
    // model:m@2 came after the checkpoint: as of its size the log does not name it.
    await expect(client("viewer").lineage("model:m@2", { proofs: true })).rejects.toMatchObject({
      code: "E_ASSET_UNKNOWN",
    });
    const g = await client("viewer").lineage("model:m@1", { proofs: true, direction: "both" });
    expect(g.asOf).toBe(4);
    expect(g.edges).toHaveLength(5);
    const proofs = g.proofs;
    if (proofs === undefined) throw new Error("no proofs");
    const cp = openCheckpoint(proofs.checkpoint.note, [parseVkey(t.log.vkey)], ORIGIN).checkpoint;
    expect(cp.size).toBe(4);
    for (const e of g.edges) {
      const p = proofs.entries.find((x) => x.index === e.index);
      if (p === undefined) throw new Error(`no proof for entry ${e.index}`);
      const leaf = b64(p.leaf);
      expect(checkInclusion(p.index, cp.size, leafHash(leaf), p.proof.map(b64), cp.root)).toBe(
        true,
      );
      expect(lineageEdges(decodeLeaf(leaf), p.index)).toContainEqual({ from: e.from, to: e.to });
    }
  });

  it("names what is wrong: unknown asset, bad options", async () => {
    const cases: Array<[string, number, string]> = [
      ["/v1/lineage/model%3Anope", 404, "E_ASSET_UNKNOWN"],
      ["/v1/lineage/model%3Am%401?direction=sideways", 400, "E_USAGE"],
      ["/v1/lineage/model%3Am%401?depth=-1", 400, "E_USAGE"],
      ["/v1/lineage/model%3Am%401?asOf=99", 400, "E_INDEX_RANGE"],
      ["/v1/lineage/model%3Am%401?proofs=yes", 400, "E_USAGE"],
      ["/v1/lineage/model%3Am%401?colour=red", 400, "E_USAGE"],
      ["/v1/lineage/%E0%A4%A", 400, "E_USAGE"],
    ];
    for (const [path, status, code] of cases) {
      const r = await t.request(path, { as: t.tokens.viewer });
      expect(r.status, path).toBe(status);
      expect(((await r.json()) as { error: { code: string } }).error.code, path).toBe(code);
    }
    await expect(client("viewer").lineage("model:nope")).rejects.toMatchObject({
      code: "E_ASSET_UNKNOWN",
    });
  });
});

describe("GET /v1/assets", () => {
  it("lists the inventory as the library does, by kind; bad kinds are refused", async () => {
    const r = await t.request("/v1/assets", { as: t.tokens.viewer });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { assets: unknown[]; size: number };
    expect(body.assets).toEqual(JSON.parse(JSON.stringify(await assets(t.log.store))));
    expect(body.assets).toHaveLength(6);
    const models = await client("admin").assets({ kind: "model" });
    expect(models.map((a) => [a.asset, a.events, a.lastActor])).toEqual([
      ["model:m@1", 2, "svc-etl"],
      ["model:m@2", 1, "svc-etl"],
    ]);
    const bad = await t.request("/v1/assets?kind=Not%20a%20kind", { as: t.tokens.viewer });
    expect(bad.status).toBe(400);
  });
});

describe("GET /v1/events from the indexes", () => {
  it("takes the filters and cursor of 'logseal query', and pages stay exact while events are posted", async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let posted = 0;
    for (let page = 0; page < 200; page++) {
      const [p] = await Promise.all([
        client("viewer").events({
          asset: "dataset:clean/a",
          control: "A.8.32",
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        }),
        page < 10
          ? post(t, [step(100 + page, ["dataset:clean/a"], `dataset:more/${page}`)]).then((r) => {
              expect(r.status).toBe(200);
              posted++;
            })
          : Promise.resolve(),
      ]);
      expect(p.next).toBe(p.more ? p.cursor : null);
      seen.push(...p.events.map((e) => e.index));
      cursor = p.cursor;
      if (page >= 10 && !p.more && p.events.length === 0) break;
    }
    expect(posted).toBe(10);
    // The whole answer, in one page from the library: the same entries.
    const all = await query(t.log.store, {
      asset: "dataset:clean/a",
      control: "A.8.32",
      limit: 1000,
    });
    expect(seen).toEqual(all.entries.map((e) => e.index));
    expect(seen.length).toBe(3 + 10);

    // A cursor of 'logseal query' (the library's) continues on the server.
    const first = await query(t.log.store, { actor: "alice", limit: 1 });
    const next = await client("viewer").events({ actor: "alice", cursor: first.cursor });
    expect(next.events.map((e) => e.index)).toEqual([3]);
    // Relative times, as 'logseal query --since -24h'.
    expect((await client("viewer").events({ since: "-1h" })).events).toEqual([]);
    for (const bad of ["control=A.99", "since=yesterday", `cursor=${first.cursor}&actor=bob`]) {
      const r = await t.request(`/v1/events?${bad}`, { as: t.tokens.viewer });
      expect(r.status, bad).toBe(400);
    }
  });

  it("answers 409 E_INDEX_STALE on a store written before indexes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "logseal-server-stale-"));
    const log = await init(join(dir, "store"), { origin: ORIGIN });
    await new Log(log.store).append([step(0, ["source:s3/a"], "dataset:raw/a")]);
    const { token } = await createToken(log.store, { name: "v", role: "viewer" });
    const server = await startServer(log, { port: 0, checkpointInterval: 0, serverFile: false });
    try {
      for (const path of ["/v1/events", "/v1/assets", "/v1/lineage/dataset%3Araw%2Fa"]) {
        const r = await fetch(`${server.url}${path}`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        expect(r.status, path).toBe(409);
        const body = (await r.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("E_INDEX_STALE");
        expect(body.error.message).toContain("logseal reindex");
      }
    } finally {
      await server.close();
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
