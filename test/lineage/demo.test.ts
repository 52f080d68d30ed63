/**
 * The demo scenario (src/demo/scenario.ts) gives a sensible lineage for a model:
 * model ← run ← features ← clean datasets ← raw datasets ← sources.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assets,
  demoScenario,
  type LineageGraph,
  type Log,
  lineage,
  query,
  reindex,
} from "../../src/index.js";
import { newLog } from "./helpers.js";

let log: Log;
let cleanup: () => Promise<void>;
let models: string[];

beforeAll(async () => {
  ({ log, cleanup } = await newLog());
  for (const day of demoScenario()) {
    await log.append(day.events);
    await log.checkpoint();
  }
  models = (await assets(log.store, { kind: "model" })).map((a) => a.asset);
});
afterAll(() => cleanup());

/** Kinds along every path from the asset upstream to a node without inputs. */
function upstreamPaths(g: LineageGraph): string[][] {
  const inputs = new Map<string, string[]>();
  for (const e of g.edges) inputs.set(e.to, [...(inputs.get(e.to) ?? []), e.from]);
  const out: string[][] = [];
  const walk = (id: string, path: string[]) => {
    const next = (inputs.get(id) ?? []).filter((x) => !path.includes(x));
    if (next.length === 0) out.push([...path, id]);
    for (const n of next) walk(n, [...path, id]);
  };
  walk(g.asset, []);
  return out;
}

describe("the demo scenario's lineage", () => {
  it("traces a model back to its sources", async () => {
    expect(models.length).toBeGreaterThan(5);
    const first = models.find((m) => m.endsWith("@1.0.0")) as string;
    const g = await lineage(log.store, first);
    const kinds = upstreamPaths(g).map((p) =>
      p.map((id) => (id.startsWith("dataset:") ? id.split("/")[0] : id.split(":")[0])).join(" <- "),
    );
    expect(new Set(kinds)).toEqual(
      new Set(["model <- run <- dataset:features <- dataset:clean <- dataset:raw <- source"]),
    );
    // Three clean datasets of that day feed the features.
    const features = g.nodes.filter((n) => n.id.startsWith("dataset:features/"));
    expect(features).toHaveLength(1);
    expect(g.edges.filter((e) => e.to === features[0]?.id)).toHaveLength(3);
    expect(g.edges.find((e) => e.to === first)).toMatchObject({
      action: "run.complete",
      actor: "svc-trainer",
    });
    // The raw support tickets of day 0 were erased on request.
    expect(g.nodes.find((n) => n.id === "dataset:raw/support-tickets/2026-11-02")?.erased).toBe(
      true,
    );
  });

  it("follows fine-tuning: later models derive from earlier ones", async () => {
    const last = models.reduce((a, b) =>
      Number(b.split("@")[1]?.split(".")[0]) > Number(a.split("@")[1]?.split(".")[0]) ? b : a,
    );
    const g = await lineage(log.store, last, { depth: 200 });
    const older = g.nodes.filter((n) => n.kind === "model" && n.id !== last);
    expect(older.length).toBeGreaterThan(0);
    expect(g.truncated).toBe(false);
    const down = await lineage(log.store, "dataset:raw/support-tickets/2026-11-02", {
      direction: "down",
      depth: 200,
    });
    expect(down.nodes.filter((n) => n.kind === "model").length).toBeGreaterThan(0);
  });

  it("answers the auditor's questions with queries", async () => {
    const denied = await query(log.store, { actor: "mallory", outcome: "denied" });
    expect(denied.entries.length).toBeGreaterThan(0);
    for (const h of denied.entries) expect(h.event.action).toBe("access.denied");
    const erasures = await query(log.store, { control: "A.8.10" });
    expect(erasures.entries.map((h) => h.event.action)).toEqual(["data.erase"]);
    // A rebuild from the entries gives the same answers.
    const before = await lineage(log.store, models[0] as string);
    await reindex(log);
    expect(await lineage(log.store, models[0] as string)).toEqual(before);
  });
});
