/**
 * The TUI on a C2SP tlog-tiles log (`logseal tui --tiles DIR|URL`): a `logseal export --tiles`
 * directory served by a plain static web server on 127.0.0.1. The same screens as on a store:
 * events, filters (by reading every entry: a tiles log has no indexes), detail with its
 * inclusion proof checked, the checkpoint, verify; lineage says it needs the store; the log
 * is followed as its checkpoint grows.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkInclusion,
  exportTiles,
  leafHash,
  openCheckpoint,
  parseVkey,
} from "../../src/index.js";
import { parseFilter } from "../../tui/data/filter.js";
import { TilesSource } from "../../tui/data/tiles.js";
import { json, logseal } from "../cli/cli.js";
import { staticServer } from "../store/static-server.js";
import { ev, KEY, makeStore, renderApp, type, waitFor } from "./helpers.js";

let s: Awaited<ReturnType<typeof makeStore>>;
let web: Awaited<ReturnType<typeof staticServer>>;
const tiles = () => join(s.dir, "tiles");

beforeAll(async () => {
  s = await makeStore(700, { index: false });
  const cp = await s.log.latestCheckpoint();
  await exportTiles(s.log.store, cp as NonNullable<typeof cp>, tiles());
  web = await staticServer(tiles());
});
afterAll(async () => {
  await web.close();
  await s.cleanup();
});

describe("TilesSource", () => {
  it("reads rows and entries, proves from the tiles, scans, and verifies", async () => {
    const source = await TilesSource.open(web.url);
    expect(source).toMatchObject({ kind: "tiles", origin: s.log.origin, label: web.url });
    expect(source.size()).toBe(700);
    const rows = await source.rows(250, 10);
    expect(rows.map((r) => r.index)).toEqual([250, 251, 252, 253, 254, 255, 256, 257, 258, 259]);
    expect(rows[0]?.event.id).toBe("ev-250");
    const entry = await source.entry(699);
    expect(entry.leaf).toEqual((await s.log.get(699)).leaf);

    const key = parseVkey(s.log.vkey);
    const p = await source.proveInclusion(699);
    const cp = openCheckpoint(p.checkpoint, [key]).checkpoint;
    expect(p.leafHash).toEqual(leafHash(entry.leaf));
    expect(checkInclusion(699, p.size, p.leafHash, p.proof, cp.root)).toBe(true);
    await expect(source.proveInclusion(700)).rejects.toMatchObject({ code: "E_INDEX_RANGE" });
    const c = await source.proveConsistency(300);
    expect(c).toMatchObject({ from: 300, to: 700 });
    expect(c.toRoot).toEqual(cp.root);

    const hits: number[] = [];
    const how = await source.scan(parseFilter("actor=bob"), {
      onRows: (r) => hits.push(...r.map((x) => x.index)),
    });
    expect(how.via).toBe("scan");
    expect(hits).toEqual(Array.from({ length: 700 }, (_, i) => i).filter((i) => i % 3 === 1));

    const report = await source.verify({
      keys: [key],
      signal: new AbortController().signal,
      onProgress: () => {},
      onFailure: () => {},
    });
    expect(report).toMatchObject({ ok: true, size: 700 });
    await expect(source.lineage()).rejects.toMatchObject({ code: "E_USAGE" });
    await source.close();
  });

  it("follows the log as its published checkpoint grows", async () => {
    const source = await TilesSource.open(web.url);
    const grown = new Promise<number>((resolve) => {
      const stop = source.follow((size) => {
        stop();
        resolve(size);
      });
    });
    await s.log.append([ev(700), ev(701), ev(702)]);
    const cp = await s.log.checkpoint();
    await exportTiles(s.log.store, cp, tiles());
    expect(await grown).toBe(703);
    expect((await source.rows(700, 5)).map((r) => r.event.id)).toEqual([
      "ev-700",
      "ev-701",
      "ev-702",
    ]);
    await source.close();
  });
});

describe("tui on a tiles log", () => {
  it("browses, filters, shows the checkpoint and verifies over HTTP", async () => {
    const source = await TilesSource.open(web.url);
    const r = renderApp(source, s.log, { rows: 24, columns: 110 });
    try {
      let f = await waitFor(r.lastFrame, (f) => /^> +\d+ /m.test(f));
      expect(f).toContain(`tiles ${web.url}`);
      // The detail of an event: its inclusion proof, built from the served tiles, checked.
      await type(r.stdin, ":", ..."5", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +5 /m.test(f));
      await type(r.stdin, KEY.enter);
      f = await waitFor(r.lastFrame, (f) => f.includes("✔ verified"));
      expect(f).toContain("logseal ❭ event 5");
      await type(r.stdin, KEY.esc);
      await waitFor(r.lastFrame, (f) => f.includes("logseal ❭ events"));
      await type(r.stdin, "f", ..."actor=bob", "\r");
      f = await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: actor=bob") && !f.includes("filtering"),
      );
      await type(r.stdin, "3");
      await waitFor(r.lastFrame, (f) => f.includes("1 checkpoints"));
      await type(r.stdin, "4");
      f = await waitFor(r.lastFrame, (f) => f.includes("✔ OK"));
      expect(f).toMatch(/70\d entries/);
      await type(r.stdin, "5");
      await waitFor(r.lastFrame, (f) => f.includes("no lineage index"));
    } finally {
      r.unmount();
      await source.close();
    }
  });

  it("logseal tui --tiles: needs a pinned key; --json prints the summary", async () => {
    const bare = await logseal(["tui", "--tiles", web.url, "--json"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("pin the log's verifier key with --key");
    const r = await logseal(["tui", "--tiles", web.url, "--key", s.log.vkey, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ source: "tiles", location: web.url, origin: s.log.origin });
    const both = await logseal(["tui", "--tiles", tiles(), "--store", s.store, "--json"]);
    expect(both.code).toBe(2);
  });
});
