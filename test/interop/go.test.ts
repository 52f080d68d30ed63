/**
 * Interoperability with Go's golang.org/x/mod (sumdb/note, sumdb/tlog): a real log built through
 * the CLI is exported and proved, and `test/interop/go/main.go`, which uses x/mod only, opens
 * every checkpoint, rehashes every exported entry and tile and verifies every proof.
 *
 * Needs Go and x/mod's sources (Debian: `apt-get install -y golang-go golang-golang-x-mod-dev`);
 * builds in GOPATH mode, offline. Without `go` on PATH the test fails, unless
 * LOGSEAL_SKIP_INTEROP=1 is set, which skips it.
 */
import { spawnSync } from "node:child_process";
import { constants } from "node:fs";
import { access, cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, json, jsonl, logseal, ORIGIN, runProcess, tempDir } from "../cli/cli.js";

const INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev";
const X_MOD_GOPATH = "/usr/share/gocode"; // where golang-golang-x-mod-dev puts golang.org/x/mod
const SKIP = process.env.LOGSEAL_SKIP_INTEROP === "1";
const goVersion = (() => {
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();

/** Batches appended with --checkpoint: checkpoints of sizes 100, 300, 513, 601. */
const BATCHES = [
  [0, 100],
  [100, 300],
  [300, 513],
  [513, 601],
] as const;
const N = 601;
const OLDER = 300;

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}
interface Report {
  ok: boolean;
  passed: number;
  failed: number;
  entries: number;
  checks: Check[];
}

/** GOPATH mode against Debian's x/mod sources; nothing may be downloaded. */
async function goEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: X_MOD_GOPATH,
    GOPROXY: "off",
    GOFLAGS: "",
    GOTOOLCHAIN: "local",
  };
  if (env.GOCACHE === undefined) {
    const home = process.env.HOME;
    const writable =
      home !== undefined &&
      (await access(home, constants.W_OK).then(
        () => true,
        () => false,
      ));
    if (!writable) env.GOCACHE = join(dir, "gocache");
  }
  return env;
}

describe("Go x/mod toolchain", () => {
  it("is installed (go on PATH)", (ctx) => {
    if (goVersion !== undefined) return;
    if (SKIP) ctx.skip("LOGSEAL_SKIP_INTEROP=1: go is not on PATH, Go interop checks skipped");
    throw new Error(
      `'go' is not on PATH: the Go x/mod interop test needs it. Install it with\n  ${INSTALL}\n` +
        "or set LOGSEAL_SKIP_INTEROP=1 to skip this test.",
    );
  });
});

describe.runIf(goVersion !== undefined)(
  "interop with Go's golang.org/x/mod sumdb/note and sumdb/tlog",
  () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let vkey: string;
    let tiles: string;
    let bin: string;
    let env: NodeJS.ProcessEnv;
    let checkpoints: string[];
    const inclusion: Record<string, unknown>[] = [];
    const consistency: Record<string, unknown>[] = [];

    const checkWithGo = async (tilesDir: string, changes: Record<string, unknown> = {}) => {
      const request = { vkey, origin: ORIGIN, tilesDir, checkpoints, inclusion, consistency };
      const r = await runProcess(bin, [], {
        input: JSON.stringify({ ...request, ...changes }),
        env,
      });
      expect(r.stderr).toBe("");
      return { code: r.code, report: json<Report>(r) };
    };

    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir());
      env = await goEnv(dir);
      bin = join(dir, "interop");
      // Compile once, concurrently with building the log.
      const build = runProcess("go", ["build", "-o", bin, "./test/interop/go"], { env });

      const store = join(dir, "store");
      vkey = json<{ vkey: string }>(
        await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]),
      ).vkey;
      const events = Array.from({ length: N }, (_, i) =>
        event(i, { id: `e-${i}`, details: { n: i, note: "ß∂ƒ😀" } }),
      );
      for (const [from, to] of BATCHES) {
        const r = await logseal(["append", "--store", store, "--checkpoint"], {
          input: jsonl(events.slice(from, to)),
        });
        expect(r.code, r.stderr).toBe(0);
      }

      const list = await logseal(["checkpoint", "--list", "--store", store, "--json"]);
      checkpoints = json<{ size: number; note: string }[]>(list).map((c) => c.note);
      expect(checkpoints).toHaveLength(BATCHES.length);

      tiles = join(dir, "tiles");
      const ex = await logseal(["export", "--store", store, "--tiles", tiles, "--json"]);
      expect(ex.code, ex.stderr).toBe(0);

      const prove = async (args: string[]) => {
        const r = await logseal(["prove", ...args, "--store", store, "--json"]);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        return json(r);
      };
      for (const index of [0, 1, 137, 255, 256, 299, 400, 511, 512, N - 2, N - 1])
        inclusion.push(await prove(["inclusion", String(index)]));
      for (const index of [0, 7, 255, 256, OLDER - 1])
        inclusion.push(await prove(["inclusion", String(index), "--size", String(OLDER)]));
      for (const [from, to] of [
        [37, 100],
        [100, 300],
        [100, 513],
        [300, 513],
        [513, 601],
        [100, 601],
        [300, 601],
        [1, 601],
        [256, 601],
        [511, 513],
        [601, 601],
      ] as const)
        consistency.push(await prove(["consistency", String(from), String(to)]));

      const b = await build;
      expect(
        b.code,
        `go build failed (${goVersion}); x/mod must be in ${X_MOD_GOPATH} (${INSTALL}):\n${b.stderr}`,
      ).toBe(0);
    }, 60_000);
    afterAll(() => cleanup?.());

    it("opens every checkpoint and verifies every tile, entry and proof with x/mod", async () => {
      const { code, report } = await checkWithGo(tiles);
      const failed = report.checks.filter((c) => !c.ok);
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      expect(report).toMatchObject({ ok: true, failed: 0, entries: N });
      expect(code).toBe(0);

      const names = report.checks.map((c) => c.name);
      const count = (s: string) => names.filter((n) => n.includes(s)).length;
      expect(count("tlog.CheckRecord rejects another index")).toBe(inclusion.length);
      expect(count(": tlog.CheckRecord")).toBe(2 * inclusion.length);
      expect(count("tlog.ProveRecord")).toBe(inclusion.length);
      expect(count("tlog.CheckTree rejects another fromRoot")).toBe(consistency.length);
      expect(count("tlog.ProveTree")).toBe(consistency.length);
      // Every distinct checkpoint (sizes 100, 300, 513, 601) opened and rehashed.
      expect(count("note.Open with the vkey")).toBe(4);
      expect(count("root = tlog.TreeHash of the entries")).toBe(4);
      // Level 0: tile/0/000, 001, 002.p/89; level 1: tile/1/000.p/2.
      expect(names).toContain("tile tile/0/002.p/89 = hashes computed from the entries");
      expect(names).toContain("tile tile/1/000.p/2 = hashes computed from the entries");
      expect(count("tile tile/")).toBe(4);
    });

    it("reports a failure when one byte of one exported entry is flipped", async () => {
      const bad = join(dir, "tampered");
      await cp(tiles, bad, { recursive: true });
      const bundle = join(bad, "tile", "entries", "001");
      const data = await readFile(bundle);
      // Entry 256 is the first in bundle 001: flip a byte inside it, past its length prefix.
      data[10] = (data[10] as number) ^ 0x01;
      await writeFile(bundle, data);

      const { code, report } = await checkWithGo(bad);
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
      expect(failed).toContain("tile tile/0/001 = hashes computed from the entries");
      expect(failed).toContain(
        "exported checkpoint (size 601): root = tlog.TreeHash of the entries",
      );
      expect(failed).toContain(
        "inclusion 256 in 601: leafHash = tlog.RecordHash of the exported entry",
      );
      // The hash tiles themselves were not touched, so a tile-only client still accepts them.
      expect(failed).not.toContain(
        "exported tiles: tlog.TileHashReader authenticates them against the checkpoint",
      );
    });

    it("reports a failure for an altered checkpoint, proof or key", async () => {
      const first = inclusion[0] as { proof: string[] };
      const [h0, h1] = first.proof;
      const { code, report } = await checkWithGo(tiles, {
        checkpoints: checkpoints.map((n, i) => (i === 0 ? n.replace("\n100\n", "\n101\n") : n)),
        inclusion: [{ ...first, proof: [h1, h0, ...first.proof.slice(2)] }],
        consistency: [],
      });
      expect(code).toBe(1);
      const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).toEqual([
        expect.stringMatching(/^checkpoints\[0\]: note\.Open .*invalid signature/),
        expect.stringMatching(/^inclusion 0 in 601: tlog\.CheckRecord: invalid transparency proof/),
        expect.stringMatching(/^inclusion 0 in 601: proof = tlog\.ProveRecord .*: hash 0 is/),
      ]);

      // Another key of the same name: every note fails to open.
      const other = json<{ vkey: string }>(
        await logseal(["init", "--store", join(dir, "other"), "--origin", ORIGIN, "--json"]),
      ).vkey;
      const wrongKey = await checkWithGo(tiles, { vkey: other });
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.report.checks).toEqual([
        expect.objectContaining({ ok: false, detail: expect.stringMatching(/^note\.Open: /) }),
      ]);
    });
  },
);
