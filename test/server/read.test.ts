/** Reads: the tlog-tiles API against `exportTiles`, proofs, entries and the event query. */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkConsistency,
  checkInclusion,
  exportTiles,
  fromBase64,
  LogClient,
  openCheckpoint,
  parseVkey,
  type StoredCheckpoint,
  toBase64,
} from "../../src/index.js";
import { allEvents, event, ORIGIN, post, startTestServer, type TestServer } from "./server.js";

let t: TestServer;
let cp: StoredCheckpoint;
let earlier: StoredCheckpoint;
const N = 700;
const b64 = (s: string) => fromBase64(s) as Uint8Array;

beforeAll(async () => {
  t = await startTestServer();
  for (let from = 0; from < N; from += 100) {
    const r = await post(
      t,
      Array.from({ length: 100 }, (_, i) => event(from + i, { id: `r-${from + i}` })),
    );
    expect(r.status).toBe(200);
    if (from === 200) earlier = await sign();
  }
  cp = await sign();
  // The store grows past the checkpoint: tiles must still be served as of the checkpoint.
  expect(
    (
      await post(
        t,
        Array.from({ length: 60 }, (_, i) => event(N + i)),
      )
    ).status,
  ).toBe(200);
});
afterAll(() => t.stop());

async function sign(): Promise<StoredCheckpoint> {
  const r = await t.request("/v1/checkpoint", { method: "POST", as: t.tokens.admin });
  expect(r.status).toBe(200);
  return (await r.json()) as StoredCheckpoint;
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("the tlog-tiles API", () => {
  it("serves exactly the bytes exportTiles writes for the latest checkpoint", async () => {
    expect(t.log.size).toBe(N + 60);
    const out = join(t.dir, "export");
    await exportTiles(t.log.store, cp, out);
    const paths = await files(out);
    expect(paths).toContain("tile/entries/002.p/188");
    for (const path of paths) {
      const r = await t.request(`/${path}`, { as: t.tokens.viewer });
      expect(r.status, path).toBe(200);
      const got = new Uint8Array(await r.arrayBuffer());
      expect(Buffer.compare(got, await readFile(join(out, path))), path).toBe(0);
      if (path === "checkpoint") {
        expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
        expect(r.headers.get("cache-control")).toBe("private, max-age=1");
      } else {
        expect(r.headers.get("content-type")).toBe("application/octet-stream");
        expect(r.headers.get("cache-control")).toBe(
          path.includes(".p/") ? "private, max-age=60" : "private, max-age=31536000, immutable",
        );
      }
    }
  });

  it("serves the partial tiles of an earlier checkpoint, and nothing beyond the latest", async () => {
    const out = join(t.dir, "export-earlier");
    await exportTiles(t.log.store, earlier, out);
    for (const path of (await files(out)).filter((p) => p.startsWith("tile/"))) {
      const r = await t.request(`/${path}`, { as: t.tokens.viewer });
      expect(r.status, path).toBe(200);
      expect(
        Buffer.compare(new Uint8Array(await r.arrayBuffer()), await readFile(join(out, path))),
      ).toBe(0);
    }
    for (const path of [
      "tile/0/002", // full only at 768
      "tile/0/002.p/189", // beyond the checkpoint's 188
      "tile/entries/002.p/189",
      "tile/entries/003.p/1",
      "tile/1/000", // level 1 is partial below 65536
      "tile/0/x000/001", // not canonical
      "tile/0/001.p/0",
      "tile/0/001.p/256",
    ]) {
      expect((await t.request(`/${path}`, { as: t.tokens.viewer })).status, path).toBe(404);
    }
  });
});

describe("proofs", () => {
  it("gives inclusion proofs that checkInclusion accepts against the signed checkpoint", async () => {
    const key = parseVkey(t.log.vkey);
    const { checkpoint } = openCheckpoint(cp.note, [key], ORIGIN);
    for (const index of [0, 1, 255, 256, 511, 699]) {
      const r = await t.request(`/v1/proof/inclusion?index=${index}`, { as: t.tokens.viewer });
      expect(r.status).toBe(200);
      const p = (await r.json()) as {
        index: number;
        size: number;
        leafHash: string;
        proof: string[];
        checkpoint: string;
      };
      expect(p.size).toBe(cp.size);
      expect(p.checkpoint).toBe(cp.note);
      expect(
        checkInclusion(index, cp.size, b64(p.leafHash), p.proof.map(b64), checkpoint.root),
      ).toBe(true);
      // Same JSON as the library (and so as `logseal prove --json`).
      const local = await t.log.proveInclusion(index);
      expect(p.leafHash).toBe(toBase64(local.leafHash));
    }
    const old = await t.request(`/v1/proof/inclusion?index=5&size=${earlier.size}`, {
      as: t.tokens.viewer,
    });
    expect(((await old.json()) as { size: number }).size).toBe(earlier.size);
    const beyond = await t.request(`/v1/proof/inclusion?index=${N + 10}`, { as: t.tokens.viewer });
    expect(beyond.status).toBe(400);
    expect(((await beyond.json()) as { error: { code: string } }).error.code).toBe("E_INDEX_RANGE");
    const nocp = await t.request("/v1/proof/inclusion?index=1&size=5", { as: t.tokens.viewer });
    expect(nocp.status).toBe(404);
  });

  it("gives consistency proofs that checkConsistency accepts", async () => {
    const r = await t.request(`/v1/proof/consistency?from=${earlier.size}&to=${cp.size}`, {
      as: t.tokens.viewer,
    });
    const p = (await r.json()) as {
      from: number;
      to: number;
      fromRoot: string;
      toRoot: string;
      proof: string[];
    };
    expect(p).toMatchObject({ from: earlier.size, to: cp.size });
    expect(
      checkConsistency(earlier.size, b64(p.fromRoot), cp.size, b64(p.toRoot), p.proof.map(b64)),
    ).toBe(true);
    const key = parseVkey(t.log.vkey);
    expect(p.fromRoot).toBe(toBase64(openCheckpoint(earlier.note, [key], ORIGIN).checkpoint.root));
    expect(p.toRoot).toBe(toBase64(openCheckpoint(cp.note, [key], ORIGIN).checkpoint.root));
  });
});

describe("entries and the event query", () => {
  it("GET /v1/events/INDEX gives the exact leaf and event, as 'logseal show --json'", async () => {
    const r = await new LogClient(t.url, { token: t.tokens.viewer }).entry(257);
    const local = await t.log.get(257);
    expect(Buffer.compare(r.leaf, local.leaf)).toBe(0);
    expect(r.event).toEqual(local.event);
    const beyond = await t.request("/v1/events/100000", { as: t.tokens.viewer });
    expect(beyond.status).toBe(400);
  });

  it("filters and pages with an opaque cursor across scan limits", async () => {
    const all = await allEvents(t.log);
    const want = all
      .map((e, index) => ({ index, e }))
      .filter(
        ({ e }) =>
          (e.actor as { id: string }).id === "alice" &&
          e.action === "dataset.read" &&
          (e.ts as number) >= 1_764_000_100_000,
      );
    expect(want.length).toBeGreaterThan(20);
    const got: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q = new URLSearchParams({
        actor: "alice",
        action: "dataset.read",
        since: "1764000100000",
        limit: "7",
      });
      if (cursor !== null) q.set("cursor", cursor);
      const r = await t.request(`/v1/events?${q}`, { as: t.tokens.viewer });
      expect(r.status).toBe(200);
      const page = (await r.json()) as { events: Array<{ index: number }>; next: string | null };
      expect(page.events.length).toBeLessThanOrEqual(7);
      got.push(...page.events.map((e) => e.index));
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(got).toEqual(want.map((w) => w.index));

    const iso = await t.request(
      "/v1/events?outcome=failure&until=2025-11-24T16:01:00Z&limit=1000",
      { as: t.tokens.viewer },
    );
    const page = (await iso.json()) as {
      events: Array<{ event: { outcome: string; ts: number } }>;
    };
    expect(
      page.events.every(
        (e) => e.event.outcome === "failure" && e.event.ts < Date.parse("2025-11-24T16:01:00Z"),
      ),
    ).toBe(true);

    for (const bad of ["cursor=zzz", "outcome=maybe", "since=yesterday", "limit=0", "limit=1001"]) {
      expect((await t.request(`/v1/events?${bad}`, { as: t.tokens.viewer })).status, bad).toBe(400);
    }
  });
});
