/** Renderings of a lineage graph: W3C PROV-JSON shape, Graphviz DOT, the indented tree. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LineageGraph,
  type LineageProofs,
  type Log,
  lineage,
  lineageProofs,
  lineageToDot,
  lineageToJSON,
  lineageToProv,
  lineageToTree,
} from "../../src/index.js";
import { newLog } from "./helpers.js";

let log: Log;
let cleanup: () => Promise<void>;
let graph: LineageGraph;
let proofs: LineageProofs;

beforeAll(async () => {
  ({ log, cleanup } = await newLog());
  await log.append([
    {
      ts: Date.UTC(2026, 10, 2, 8),
      actor: { id: "svc-ingest", kind: "service" },
      action: "dataset.ingest",
      outcome: "success",
      asset: "dataset:raw/t",
      inputs: ['source:s3/landing/"quoted" name'],
      outputs: ["dataset:raw/t"],
    },
    {
      ts: Date.UTC(2026, 10, 2, 9),
      actor: { id: "svc-pii", kind: "service" },
      action: "pii.mask",
      outcome: "success",
      asset: "dataset:clean/t",
      inputs: ["dataset:raw/t"],
      outputs: ["dataset:clean/t"],
    },
    {
      ts: Date.UTC(2026, 10, 2, 10),
      actor: { id: "bob@acme.example", kind: "user" },
      action: "run.complete",
      outcome: "failure",
      asset: "run:train 1",
      inputs: ["dataset:clean/t", "dataset:raw/t"],
      outputs: ["model:m@1"],
    },
    {
      ts: Date.UTC(2026, 10, 3),
      actor: { id: "carol" },
      action: "data.erase",
      outcome: "success",
      asset: "dataset:raw/t",
    },
  ]);
  await log.checkpoint();
  graph = await lineage(log.store, "model:m@1");
  proofs = await lineageProofs(log, graph);
});
afterAll(() => cleanup());

describe("PROV-JSON", () => {
  it("maps assets to entities, entries to activities, actors to agents", () => {
    type Rec = Record<string, unknown>;
    const prov = lineageToProv(graph) as Record<string, Record<string, Rec>>;
    expect(Object.keys(prov)).toEqual([
      "prefix",
      "entity",
      "activity",
      "agent",
      "used",
      "wasGeneratedBy",
      "wasDerivedFrom",
      "wasAssociatedWith",
    ]);
    const prefix = prov.prefix as unknown as Record<string, string>;
    const entity = prov.entity ?? {};
    const activity = prov.activity ?? {};
    const agent = prov.agent ?? {};
    const used = prov.used ?? {};
    const wasGeneratedBy = prov.wasGeneratedBy ?? {};
    const wasDerivedFrom = prov.wasDerivedFrom ?? {};
    expect(Object.keys(entity).sort()).toEqual([
      "asset:dataset:clean/t",
      "asset:dataset:raw/t",
      "asset:model:m@1",
      "asset:run:train%201",
      "asset:source:s3/landing/%22quoted%22%20name",
    ]);
    expect(entity["asset:run:train%201"]).toEqual({
      "prov:label": "run:train 1",
      "prov:type": { $: "logseal:run", type: "prov:QUALIFIED_NAME" },
    });
    expect(entity["asset:dataset:raw/t"]?.["logseal:erased"]).toBe(true);
    expect(Object.keys(activity).sort()).toEqual(["entry:0", "entry:1", "entry:2"]);
    expect(activity["entry:2"]).toMatchObject({
      "prov:label": "run.complete",
      "prov:startTime": "2026-11-02T10:00:00.000Z",
      "logseal:index": 2,
      "logseal:outcome": "failure",
    });
    expect(Object.keys(agent).sort()).toEqual([
      "actor:bob@acme.example",
      "actor:svc-ingest",
      "actor:svc-pii",
    ]);
    // Every relation names declared nodes, with PROV-JSON's member names.
    const ids = new Set([...Object.keys(entity), ...Object.keys(activity), ...Object.keys(agent)]);
    for (const r of Object.values(used)) {
      expect(Object.keys(r).sort()).toEqual(["prov:activity", "prov:entity", "prov:time"]);
      expect(ids.has(r["prov:activity"] as string) && ids.has(r["prov:entity"] as string)).toBe(
        true,
      );
    }
    for (const r of Object.values(wasGeneratedBy)) {
      expect(ids.has(r["prov:activity"] as string) && ids.has(r["prov:entity"] as string)).toBe(
        true,
      );
    }
    for (const r of Object.values(
      prov.wasAssociatedWith as Record<string, Record<string, string>>,
    )) {
      expect(ids.has(r["prov:agent"] as string)).toBe(true);
    }
    // Entry 2 (run.complete) stands for the edges clean → run, raw → run and run → model.
    const usedBy2 = Object.values(used)
      .filter((r) => r["prov:activity"] === "entry:2")
      .map((r) => r["prov:entity"]);
    expect(usedBy2.sort()).toEqual([
      "asset:dataset:clean/t",
      "asset:dataset:raw/t",
      "asset:run:train%201",
    ]);
    const generatedBy2 = Object.values(wasGeneratedBy)
      .filter((r) => r["prov:activity"] === "entry:2")
      .map((r) => r["prov:entity"]);
    expect(generatedBy2.sort()).toEqual(["asset:model:m@1", "asset:run:train%201"]);
    expect(Object.values(wasDerivedFrom)).toHaveLength(graph.edges.length);
    // Every identifier is a qualified name with a declared prefix and a plain local part.
    for (const id of ids) {
      const [p, ...rest] = id.split(":");
      expect(prefix[p as string], id).toBeDefined();
      expect(rest.join(":"), id).toMatch(/^[A-Za-z0-9_.\-:/@~&+*$!%]+$/);
    }
  });

  it("carries each activity's proof and the checkpoint with --proofs", () => {
    const prov = lineageToProv(graph, proofs) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const cp = prov.entity?.["checkpoint:4"];
    expect(cp?.["logseal:note"]).toBe(proofs.checkpoint.note);
    const a = prov.activity?.["entry:1"];
    expect(a?.["logseal:leafHash"]).toBe(proofs.entries.find((p) => p.index === 1)?.leafHash);
    expect(a?.["logseal:checkpoint"]).toEqual({ $: "checkpoint:4", type: "prov:QUALIFIED_NAME" });
  });
});

describe("text renderings", () => {
  it("draws DOT with escaped labels, the asset in bold, failures and erasures dashed", () => {
    const dot = lineageToDot(graph);
    expect(dot.startsWith("digraph lineage {\n  rankdir=LR;")).toBe(true);
    expect(dot).toContain('"model:m@1" [label="model:m@1", style=bold];');
    expect(dot).toContain('"source:s3/landing/\\"quoted\\" name"');
    expect(dot).toContain('"dataset:raw/t" [label="dataset:raw/t\\n(erased)", style=dashed];');
    expect(dot).toContain(
      '"dataset:clean/t" -> "run:train 1" [label="run.complete #2", style=dashed, color=red];',
    );
    expect(dot.trimEnd().endsWith("}")).toBe(true);
  });

  it("prints an indented tree, marking nodes met again", () => {
    expect(lineageToTree(graph)).toBe(
      [
        "model:m@1",
        "└── run:train 1  (run.complete by bob@acme.example, 2026-11-02T10:00:00.000Z, entry 2, failure)",
        "    ├── dataset:clean/t  (run.complete by bob@acme.example, 2026-11-02T10:00:00.000Z, entry 2, failure)",
        "    │   └── dataset:raw/t [erased]  (pii.mask by svc-pii, 2026-11-02T09:00:00.000Z, entry 1)",
        '    │       └── source:s3/landing/"quoted" name  (dataset.ingest by svc-ingest, 2026-11-02T08:00:00.000Z, entry 0)',
        "    └── dataset:raw/t [erased]  (run.complete by bob@acme.example, 2026-11-02T10:00:00.000Z, entry 2, failure) (shown above)",
        "5 assets, 5 edges, as of size 4",
        "",
      ].join("\n"),
    );
  });

  it("gives JSON with the proofs appended", () => {
    const j = lineageToJSON(graph, proofs);
    expect(Object.keys(j)).toEqual([
      "origin",
      "asset",
      "direction",
      "depth",
      "asOf",
      "truncated",
      "nodes",
      "edges",
      "proofs",
    ]);
  });
});
