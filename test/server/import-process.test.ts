/**
 * `logseal import --openlineage` on a store held by `logseal serve`: the import goes through
 * the server's `POST /v1/events` (it used to stop at E_STORE_LOCKED), each batch all or
 * nothing, a re-import appends nothing, and the lineage it wrote is read back through the
 * server. Real child processes, a real server on 127.0.0.1.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, logseal, ORIGIN, ok, tempDir } from "../cli/cli.js";
import { type Served, serve } from "./serve-process.js";

const FIXTURES = fileURLToPath(new URL("../lineage/fixtures/", import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
let server: Served;
let writer: string;
let viewer: string;
const store = () => join(dir, "store");

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ok(await logseal(["init", "--store", store(), "--origin", ORIGIN]));
  const token = async (role: string) =>
    /lsk_[A-Za-z0-9_-]+/.exec(
      ok(await logseal(["token", "create", "--role", role, "--name", role, "--store", store()]))
        .stdout,
    )?.[0] as string;
  writer = await token("writer");
  viewer = await token("viewer");
  server = await serve(store());
}, 60_000);

afterAll(async () => {
  server.child.kill("SIGTERM");
  await server.exited;
  await cleanup();
});

interface ImportJson {
  read: number;
  appended: number;
  duplicates: number;
  problems: Array<{ line: number; reason: string }>;
  indexes: number[];
  size: number;
}

describe("import --openlineage through the server that holds the store", () => {
  it("imports every sample, appends nothing again, and the lineage reads back", async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith(".json")).sort();
    let read = 0;
    let appended = 0;
    for (const f of files) {
      const r = await logseal(
        ["import", "--openlineage", join(FIXTURES, f), "--store", store(), "--json"],
        { env: { LOGSEAL_TOKEN: writer } },
      );
      expect(r.stderr).toContain("going through it");
      // A sample that has nothing lineage needs is reported (exit 2), not a server failure.
      expect([0, 2]).toContain(r.code);
      if (r.code === 0) {
        const report = json<ImportJson>(r);
        read += report.read;
        appended += report.appended;
        expect(report.indexes).toHaveLength(report.appended);
      }
    }
    expect(appended).toBeGreaterThan(5);

    // The same files again: every event is a duplicate by its derived id.
    for (const f of files) {
      const r = await logseal(
        ["import", "--openlineage", join(FIXTURES, f), "--store", store(), "--json"],
        { env: { LOGSEAL_TOKEN: writer } },
      );
      if (r.code === 0) expect(json<ImportJson>(r).appended).toBe(0);
    }
    // An asset the import named is in the inventory the server answers, with its lineage.
    const assets = json<Array<{ asset: string }>>(
      ok(
        await logseal(["assets", "--store", store(), "--json"], {
          env: { LOGSEAL_TOKEN: viewer },
        }),
      ),
    ).map((a) => a.asset);
    const dataset = assets.find((a) => a.startsWith("dataset:"));
    expect(dataset).toBeDefined();
    const graph = await logseal(
      ["lineage", dataset as string, "--both", "--store", store(), "--json"],
      { env: { LOGSEAL_TOKEN: viewer } },
    );
    expect(json<{ edges: unknown[] }>(ok(graph)).edges.length).toBeGreaterThan(0);
    expect(read).toBeGreaterThan(0);
  }, 120_000);

  it("a viewer may not import (exit 4, nothing appended); bad input names its line", async () => {
    const before = await countEvents();
    const sample = await readFile(join(FIXTURES, "03_fluentd_event_simple.json"), "utf8");
    const denied = await logseal(["import", "--openlineage", "-", "--store", store()], {
      input: sample.replace("fluentd", "fluentd-other"),
      env: { LOGSEAL_TOKEN: viewer },
    });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain("E_FORBIDDEN");
    const bad = await logseal(["import", "--openlineage", "-", "--store", store(), "--strict"], {
      input:
        '{"eventType":"START","eventTime":"2026-11-26T08:00:00Z","run":{"runId":"r"},"job":{"namespace":"n","name":"j"}}\n{"eventType":"START"}\n',
      env: { LOGSEAL_TOKEN: writer },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_OPENLINEAGE_INVALID: <stdin>:2/);
    // The denial itself is logged (access.denied); no RunEvent was appended.
    const after = await countEvents();
    expect(after.imports).toBe(before.imports);
  }, 60_000);
});

describe("commands that need the store to themselves", () => {
  it("reindex on a served store names the server to stop, and exits 3", async () => {
    const r = await logseal(["reindex", "--store", store()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`held by 'logseal serve' at ${server.url}`);
    expect(r.stderr).toContain("needs it to itself");
  });
});

async function countEvents(): Promise<{ imports: number }> {
  const r = json<{ entries: Array<{ event: { action: string } }> }>(
    ok(
      await logseal(["query", "--store", store(), "--limit", "1000", "--json"], {
        env: { LOGSEAL_TOKEN: viewer },
      }),
    ),
  );
  return { imports: r.entries.filter((e) => e.event.action !== "access.denied").length };
}
