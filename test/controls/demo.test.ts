/**
 * `logseal demo` writes the demo organisation's SoA and its evidence report; the counts are
 * recomputed here from the scenario's events and the default policy's rules, independently of
 * the report code.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "parse5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoScenario, type EvidenceReport } from "../../src/index.js";
import { json, logseal, tempDir } from "../cli/cli.js";

/** A.8.11 by hand: the scenario's own ids, plus what the default policy maps pii.mask/scan to. */
function expectedA811(): number {
  let n = 0;
  for (const day of demoScenario()) {
    for (const e of day.events) {
      const own = (e.controls as string[] | undefined) ?? [];
      if (own.includes("A.8.11") || e.action === "pii.mask" || e.action === "pii.scan") n++;
    }
  }
  return n;
}

describe("logseal demo: evidence", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it("writes an SoA that checks, and a report whose counts match the scenario", async () => {
    const store = join(dir, "demo");
    const d = await logseal(["demo", "--store", store]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(
      `ISO/IEC 27001:2022 evidence (${store}/soa.json): 78 applicable controls, 10 evidenced by 344 events, 3 gaps (A.5.24, A.8.13, A.8.24), 65 evidenced outside the log, 15 excluded`,
    );
    const c = await logseal(["soa", "check", join(store, "soa.json")]);
    expect(c.code, c.stderr).toBe(0);
    const r = await logseal([
      "evidence",
      "--store",
      store,
      "--soa",
      join(store, "soa.json"),
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = json<EvidenceReport>(r);
    expect(report.controls.find((x) => x.id === "A.8.11")?.count).toBe(expectedA811());
    expect(report.gaps).toEqual(["A.5.24", "A.8.13", "A.8.24"]);
    expect(report.excluded.map((x) => x.id)).toEqual([
      ...Array.from({ length: 14 }, (_, i) => `A.7.${i + 1}`),
      "A.8.30",
    ]);
    const html = await readFile(join(store, "evidence.html"), "utf8");
    expect(html).not.toMatch(/<script/i);
    const doc = parse(html);
    expect(doc.childNodes.some((n) => n.nodeName === "html")).toBe(true);
    expect(html.match(/<tr class="gap"/g)).toHaveLength(3);
  }, 60_000);
});
