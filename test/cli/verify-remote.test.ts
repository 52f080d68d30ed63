/**
 * `logseal verify` over HTTP: a tiles log under an http:// prefix (a static file server here,
 * as an object store or CDN would serve an export), and a store held by a running
 * `logseal serve`, verified through its tlog-tiles API and checkpoint history. Real child
 * processes of the CLI, real HTTP servers on 127.0.0.1.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTiles, open, type StoredCheckpoint } from "../../src/index.js";
import { serve } from "../server/serve-process.js";
import { staticServer } from "../store/static-server.js";
import { event, json, jsonl, logseal, ORIGIN, ok, tempDir } from "./cli.js";

interface VerifyJson {
  ok: boolean;
  mode: string;
  source: { type: string; path: string };
  size: number;
  checkpoints: Array<{ size: number; ok: boolean }>;
  failures: Array<{ kind: string; message: string; index?: number }>;
  error?: { code: string; message: string; file?: string };
}

let dir: string;
let cleanup: () => Promise<void>;
let vkey: string;
const SIZE = 600;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const store = join(dir, "store");
  ok(await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]));
  vkey = json<{ vkey: string }>(
    ok(await logseal(["keys", "show", "--store", store, "--json"])),
  ).vkey;
  for (const [from, to] of [
    [0, 250],
    [250, SIZE],
  ] as const) {
    const events = Array.from({ length: to - from }, (_, i) => event(from + i));
    ok(await logseal(["append", "--store", store], { input: jsonl(events) }));
    ok(await logseal(["checkpoint", "--store", store]));
  }
  ok(await logseal(["export", "--store", store, "--tiles", join(dir, "tiles")]));
}, 60_000);

afterAll(() => cleanup());

/** Every file below `root`, relative, sorted. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => event(from + i));

describe("verify --tiles over http(s)", () => {
  it("verifies a tiles export served by a plain web server, as it does the directory", async () => {
    const web = await staticServer(join(dir, "tiles"));
    try {
      const r = await logseal(["verify", "--tiles", web.url, "--key", vkey, "--json"]);
      const report = json<VerifyJson>(ok(r));
      expect(report).toMatchObject({ ok: true, mode: "tiles", size: SIZE });
      expect(report.source).toEqual({ type: "tiles", path: web.url });
      expect(report.checkpoints.map((c) => c.size)).toEqual([SIZE]);
      // It read the log's resources, not something else: every bundle of the size.
      expect(web.paths).toEqual(
        expect.arrayContaining(["checkpoint", "tile/entries/000", "tile/entries/002.p/88"]),
      );
      const local = json<VerifyJson>(
        await logseal(["verify", "--tiles", join(dir, "tiles"), "--key", vkey, "--json"]),
      );
      expect({ ...report, source: null }).toEqual({ ...local, source: null });
    } finally {
      await web.close();
    }
  });

  it("names the entry whose served bytes were altered, and exits 1", async () => {
    const { dir: copy, cleanup: done } = await tempDir();
    try {
      ok(await logseal(["export", "--store", join(dir, "store"), "--tiles", copy]));
      const file = join(copy, "tile", "entries", "001");
      const bundle = await readFile(file);
      bundle[100] = (bundle[100] as number) ^ 1;
      await writeFile(file, bundle);
      const web = await staticServer(copy);
      try {
        const r = await logseal(["verify", "--tiles", web.url, "--key", vkey, "--json"]);
        expect(r.code).toBe(1);
        const report = json<VerifyJson>(r);
        expect(report.ok).toBe(false);
        expect(report.failures.some((f) => /entr(y|ies) 2\d\d|bundle 1\b/.test(f.message))).toBe(
          true,
        );
      } finally {
        await web.close();
      }
    } finally {
      await done();
    }
  });

  it("reads a partial tile and bundle out of the full ones once the log has grown past them", async () => {
    const { dir: d, cleanup: done } = await tempDir();
    try {
      // An export at 600, then the same directory exported again at 800: tile 2 and bundle 2
      // are full now, and a server that deletes covered partials (C2SP tlog-tiles allows it)
      // no longer has the `.p/88` ones. A client holding the checkpoint of 600 reads the
      // first 88 entries and hashes of the full ones.
      const store = join(d, "store");
      const tiles = join(d, "tiles");
      ok(await logseal(["init", "--store", store, "--origin", ORIGIN]));
      const key = json<{ vkey: string }>(
        ok(await logseal(["keys", "show", "--store", store, "--json"])),
      ).vkey;
      ok(await logseal(["append", "--store", store], { input: jsonl(range(0, SIZE)) }));
      ok(await logseal(["checkpoint", "--store", store]));
      ok(await logseal(["export", "--store", store, "--tiles", tiles]));
      const at600 = await readFile(join(tiles, "checkpoint"));
      ok(await logseal(["append", "--store", store], { input: jsonl(range(SIZE, 800)) }));
      ok(await logseal(["checkpoint", "--store", store]));
      ok(await logseal(["export", "--store", store, "--tiles", tiles]));
      await writeFile(join(tiles, "checkpoint"), at600);
      const web = await staticServer(tiles, {
        fail: new Map([
          ["tile/entries/002.p/88", 404],
          ["tile/0/002.p/88", 404],
        ]),
      });
      try {
        const r = await logseal(["verify", "--tiles", web.url, "--key", key, "--json"]);
        expect(json<VerifyJson>(ok(r))).toMatchObject({ ok: true, size: SIZE });
        expect(web.paths).toEqual(expect.arrayContaining(["tile/entries/002", "tile/0/002"]));
      } finally {
        await web.close();
      }
    } finally {
      await done();
    }
  });

  it("server errors: 500 exits 3 naming the URL, 401 exits 4, a token is sent when given", async () => {
    const failing = await staticServer(join(dir, "tiles"), {
      fail: new Map([["tile/0/001", 500]]),
    });
    try {
      const r = await logseal(["verify", "--tiles", failing.url, "--key", vkey, "--json"]);
      expect(r.code).toBe(3);
      const e = json<VerifyJson>(r).error;
      expect(e?.code).toBe("E_SERVER");
      expect(e?.file).toBe(`${failing.url}tile/0/001`);
      expect(e?.message).toContain("500");
    } finally {
      await failing.close();
    }
    const guarded = await staticServer(join(dir, "tiles"), { token: "secret-token" });
    try {
      const denied = await logseal(["verify", "--tiles", guarded.url, "--key", vkey]);
      expect(denied.code).toBe(4);
      expect(denied.stderr).toContain("E_UNAUTHORIZED");
      const allowed = await logseal([
        "--token",
        "secret-token",
        "verify",
        "--tiles",
        guarded.url,
        "--key",
        vkey,
      ]);
      ok(allowed);
      expect(allowed.stdout).toContain(`ok: ${SIZE} entries`);
    } finally {
      await guarded.close();
    }
  });

  it("bad locations: nothing listening exits 3, no checkpoint exits 3, other schemes exit 2", async () => {
    const web = await staticServer(join(dir, "tiles"));
    const url = web.url;
    await web.close();
    const refused = await logseal(["verify", "--tiles", url, "--key", vkey, "--json"]);
    expect(refused.code).toBe(3);
    expect(json<VerifyJson>(refused).error?.code).toBe("E_SERVER");

    const empty = await staticServer(join(dir, "no-such-dir"));
    try {
      const missing = await logseal(["verify", "--tiles", empty.url, "--key", vkey, "--json"]);
      expect(missing.code).toBe(3);
      expect(json<VerifyJson>(missing).error?.code).toBe("E_STORE_MISSING");
    } finally {
      await empty.close();
    }
    for (const bad of ["ftp://example.com/log", "http://example.com/log?x=1"]) {
      const r = await logseal(["verify", "--tiles", bad, "--key", vkey, "--json"]);
      expect(r.code).toBe(2);
      expect(json<VerifyJson>(r).error?.code).toBe("E_USAGE");
    }
  });
});

describe("prove --tiles", () => {
  it("proves from a served tiles log what the store proves, and the proofs verify offline", async () => {
    const web = await staticServer(join(dir, "tiles"));
    const store = join(dir, "store");
    try {
      const viaTiles = ok(
        await logseal(["prove", "inclusion", "300", "--tiles", web.url, "--json"]),
      ).stdout;
      const viaStore = ok(
        await logseal(["prove", "inclusion", "300", "--store", store, "--json"]),
      ).stdout;
      expect(viaTiles).toBe(viaStore);
      const file = join(dir, "inclusion.json");
      await writeFile(file, viaTiles);
      ok(await logseal(["verify", "--proof", file, "--key", vkey]));

      const consistency = ok(
        await logseal(["prove", "consistency", "250", "--tiles", join(dir, "tiles"), "--json"]),
      ).stdout;
      expect(consistency).toBe(
        ok(await logseal(["prove", "consistency", "250", String(SIZE), "--store", store, "--json"]))
          .stdout,
      );

      const beyond = await logseal(["prove", "inclusion", String(SIZE), "--tiles", web.url]);
      expect(beyond.code).toBe(2);
      expect(beyond.stderr).toContain("E_INDEX_RANGE");
      const older = await logseal(["prove", "inclusion", "3", "--size", "250", "--tiles", web.url]);
      expect(older.code).toBe(2);
      expect(older.stderr).toContain("E_NO_CHECKPOINT");
    } finally {
      await web.close();
    }
  });
});

describe("verify a store held by logseal serve", () => {
  it("goes through the server: tiles and every stored checkpoint, with the role's limits", async () => {
    const store = join(dir, "store");
    const token = async (role: string) =>
      /lsk_[A-Za-z0-9_-]+/.exec(
        ok(await logseal(["token", "create", "--role", role, "--name", role, "--store", store]))
          .stdout,
      )?.[0] as string;
    const auditor = await token("auditor");
    const viewer = await token("viewer");
    const server = await serve(store);
    try {
      // The store is locked by the server: verify says so and reads through it.
      const r = await logseal(["verify", "--store", store, "--key", vkey, "--json"], {
        env: { LOGSEAL_TOKEN: auditor },
      });
      const report = json<VerifyJson>(ok(r));
      expect(r.stderr).toContain(`held by 'logseal serve' at ${server.url}`);
      expect(report.source).toEqual({ type: "server", path: server.url });
      // The checkpoints signed before serving (0 by init? then 250, 600) are all checked.
      expect(report.checkpoints.map((c) => c.size)).toEqual(
        expect.arrayContaining([250, report.size]),
      );
      expect(report.checkpoints.every((c) => c.ok)).toBe(true);

      // A viewer may read the tiles but not the history: the latest checkpoint only.
      const v = json<VerifyJson>(
        ok(
          await logseal(["--server", server.url, "verify", "--key", vkey, "--json"], {
            env: { LOGSEAL_TOKEN: viewer },
          }),
        ),
      );
      expect(v.checkpoints.map((c) => c.size)).toEqual([v.size]);

      // No token: 401, exit 4. A wrong pinned key: the checkpoints fail, exit 1.
      const none = await logseal(["verify", "--store", store, "--key", vkey], {
        env: { LOGSEAL_TOKEN: "" },
      });
      expect(none.code).toBe(4);
      expect(none.stderr).toContain("E_UNAUTHORIZED");
      const other = json<{ vkey: string }>(
        ok(await logseal(["init", "--store", join(dir, "other"), "--origin", ORIGIN, "--json"])),
      ).vkey;
      const wrong = await logseal(["verify", "--store", store, "--key", other], {
        env: { LOGSEAL_TOKEN: auditor },
      });
      expect(wrong.code).toBe(1);

      // export --tiles mirrors the server's tiles API; an evidence bundle needs the store.
      ok(
        await logseal(["export", "--store", store, "--tiles", join(dir, "mirror")], {
          env: { LOGSEAL_TOKEN: viewer },
        }),
      );
      const bundle = await logseal(["export", "--store", store, "--bundle", join(dir, "b.json")], {
        env: { LOGSEAL_TOKEN: auditor },
      });
      expect(bundle.code).toBe(2);
      expect(bundle.stderr).toContain("E_USAGE");
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await rm(join(dir, "other"), { recursive: true, force: true });
    }
    // The mirror holds the server's latest checkpoint at the time; the store exported at that
    // same checkpoint (the server has stopped) gives the same files, byte for byte.
    const mirrored = json<VerifyJson>(
      ok(await logseal(["verify", "--tiles", join(dir, "mirror"), "--key", vkey, "--json"])),
    );
    const direct = join(dir, "direct");
    const log = await open(store);
    try {
      const cp = await log.store.checkpointAt(mirrored.size);
      expect(cp?.note).toBe(await readFile(join(dir, "mirror", "checkpoint"), "utf8"));
      await exportTiles(log.store, cp as StoredCheckpoint, direct);
    } finally {
      await log.close();
    }
    const files = await listFiles(direct);
    expect(await listFiles(join(dir, "mirror"))).toEqual(files);
    for (const f of files) {
      expect(await readFile(join(dir, "mirror", f))).toEqual(await readFile(join(direct, f)));
    }
    expect(mirrored.ok).toBe(true);
  }, 60_000);
});
