/**
 * `logseal serve --soa FILE` and `logseal evidence` as separate processes: the report read
 * through the server that holds the store is the one read from the store once it is free.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvidenceReport, soaTemplate } from "../../src/index.js";
import { event, json, logseal } from "../cli/cli.js";
import { serve, storeForServer } from "./serve-process.js";

let dir: string;
let store: string;
let soaFile: string;
let cleanup: () => Promise<void>;
let tokens: Record<string, string>;

beforeAll(async () => {
  ({ dir, store, tokens, cleanup } = await storeForServer(
    "ev",
    ["viewer", "auditor"],
    Array.from({ length: 6 }, (_, i) =>
      event(i, { id: `ev-${i}`, controls: i % 2 === 0 ? ["A.8.11"] : ["A.5.34"] }),
    ),
  ));
  const soa = soaTemplate();
  for (const c of soa.controls) if (c.id !== "A.8.11" && c.id !== "A.5.34") c.evidence = null;
  soaFile = join(dir, "soa.json");
  await writeFile(soaFile, JSON.stringify(soa, null, 2));
});
afterAll(() => cleanup());

describe("logseal evidence through logseal serve --soa", () => {
  it("prints the report the store gives once free; roles and --soa hold", {
    timeout: 60_000,
  }, async () => {
    const s = await serve(store, "--checkpoint-interval", "0", "--soa", soaFile);
    // Another SoA than the server's, sent in the request (POST /v1/evidence): only A.5.34 is
    // evidenced by the log, A.8.11 is marked evidenced elsewhere.
    const other = JSON.parse(await readFile(soaFile, "utf8")) as ReturnType<typeof soaTemplate>;
    for (const c of other.controls) if (c.id === "A.8.11") c.evidence = null;
    const onlyA834 = join(dir, "soa-a534.json");
    await writeFile(onlyA834, JSON.stringify(other));
    let remote: EvidenceReport;
    try {
      const as = (role: string) => ({ env: { LOGSEAL_TOKEN: tokens[role] as string } });
      const [viaServer, md, denied, withSoa] = await Promise.all([
        logseal(
          ["evidence", "--store", store, "--format", "json", "--samples", "2"],
          as("auditor"),
        ),
        logseal(["evidence", "--store", store, "--to", "now"], as("auditor")),
        logseal(["evidence", "--store", store], as("viewer")),
        logseal(
          ["evidence", "--store", store, "--soa", onlyA834, "--format", "json"],
          as("auditor"),
        ),
      ]);
      expect(viaServer.code, viaServer.stderr).toBe(0);
      expect(viaServer.stderr).toContain(`is held by 'logseal serve' at ${s.url}`);
      remote = json<EvidenceReport>(viaServer);
      expect(remote.soa.source).toBe(soaFile);
      expect(Object.fromEntries(remote.controls.map((c) => [c.id, c.count]))).toEqual({
        "A.5.34": 3,
        "A.8.11": 3,
      });
      expect(md.code, md.stderr).toBe(0);
      expect(md.stdout).toMatch(/^# /);
      expect(md.stdout).toContain("A.8.11");
      expect(denied.code).toBe(4);
      expect(denied.stderr).toContain("E_FORBIDDEN");
      expect(denied.stderr).toContain("may not read evidence reports");
      const sent = json<EvidenceReport>(withSoa);
      expect(sent.soa.source).toBe(onlyA834);
      expect(Object.fromEntries(sent.controls.map((c) => [c.id, c.count]))).toEqual({
        "A.5.34": 3,
      });
      // A bad SoA is refused before anything is sent, naming the file.
      const badFile = join(dir, "bad-soa.json");
      await writeFile(badFile, '{"format":"nope"}');
      const bad = await logseal(["evidence", "--store", store, "--soa", badFile], as("auditor"));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`E_SOA_INVALID: ${badFile}`);
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    } finally {
      s.child.kill("SIGKILL");
    }
    // From the store, now free: the shutdown checkpoint also covers the viewer's logged
    // denial (controls A.8.3 and A.8.5, which this SoA does not query), so the counts and
    // samples are the same; only the proofs lead to the newer checkpoint.
    const local = await logseal([
      "evidence",
      "--store",
      store,
      "--soa",
      soaFile,
      "--format",
      "json",
      "--samples",
      "2",
    ]);
    expect(local.code, local.stderr).toBe(0);
    const here = json<EvidenceReport>(local);
    expect(here.checkpoint.size).toBe(remote.checkpoint.size + 1);
    const shape = (r: EvidenceReport) =>
      r.controls.map((c) => ({
        ...c,
        samples: c.samples.map(({ proof: _, ...rest }) => rest),
      }));
    expect(shape(here)).toEqual(shape(remote));
    expect(here.summary).toEqual(remote.summary);
    expect(here.soa).toEqual(remote.soa);
  });

  it("refuses a bad SoA at start with E_SOA_INVALID naming the file", async () => {
    const bad = join(dir, "bad-soa.json");
    await writeFile(bad, '{"format":"nope"}');
    const r = await logseal(["serve", "--store", store, "--listen", "127.0.0.1:0", "--soa", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_SOA_INVALID: .*bad-soa\.json/);
  });
});
