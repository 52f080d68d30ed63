/** Lineage graphs on real LevelDB stores: known graphs give exactly the expected answers. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkInclusion,
  decodeLeaf,
  fromBase64,
  type Log,
  LogsealError,
  leafHash,
  lineage,
  lineageEdges,
  lineageProofs,
  openCheckpoint,
  parseVkey,
  toBase64,
} from "../../src/index.js";
import { derive, edgeSet, newLog, nodeSet } from "./helpers.js";

let log: Log;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ log, cleanup } = await newLog());
});
afterEach(() => cleanup());

const ds = (s: string) => `dataset:${s}`;

async function expectCode(p: Promise<unknown>, code: string): Promise<LogsealError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LogsealError);
  expect((e as LogsealError).code).toBe(code);
  return e as LogsealError;
}

describe("lineageEdges", () => {
  const base = { v: 1 as const, ts: 1, at: 1, actor: { id: "a" }, outcome: "success" as const };
  it("goes through the asset when it is neither an input nor an output", () => {
    const e = {
      ...base,
      action: "run.complete",
      asset: "run:r",
      inputs: ["dataset:f"],
      outputs: ["model:m"],
    };
    expect(lineageEdges(e, 0)).toEqual([
      { from: "dataset:f", to: "run:r" },
      { from: "run:r", to: "model:m" },
    ]);
  });
  it("derives outputs from inputs when the asset is one of them, without self edges", () => {
    const e = {
      ...base,
      action: "x.y",
      asset: "dataset:b",
      inputs: ["dataset:a", "dataset:b"],
      outputs: ["dataset:b"],
    };
    expect(lineageEdges(e, 0)).toEqual([{ from: "dataset:a", to: "dataset:b" }]);
  });
  it("treats the asset as the output of inputs when there are no outputs", () => {
    const e = { ...base, action: "model.register", asset: "model:m", inputs: ["run:r"] };
    expect(lineageEdges(e, 0)).toEqual([{ from: "run:r", to: "model:m" }]);
  });
  it("gives no edge for a read or a denied event", () => {
    expect(
      lineageEdges({ ...base, action: "pii.scan", asset: "dataset:a", inputs: ["dataset:a"] }, 0),
    ).toEqual([]);
    const denied = {
      ...base,
      outcome: "denied" as const,
      action: "x.y",
      asset: "x:y",
      inputs: ["dataset:a"],
    };
    expect(lineageEdges(denied, 0)).toEqual([]);
  });
  it("routes a huge inputs × outputs product through a node for the entry", () => {
    const inputs = Array.from({ length: 100 }, (_, i) => `dataset:i${i}`);
    const outputs = Array.from({ length: 100 }, (_, i) => `dataset:o${i}`);
    const edges = lineageEdges({ ...base, action: "x.y", inputs, outputs }, 7);
    expect(edges).toHaveLength(200);
    expect(edges[0]).toEqual({ from: "dataset:i0", to: "entry:7" });
    expect(edges[199]).toEqual({ from: "entry:7", to: "dataset:o99" });
  });
});

describe("lineage", () => {
  it("follows a chain upstream and downstream, with the depth bound", async () => {
    // a0 → a1 → … → a9
    await log.append(Array.from({ length: 9 }, (_, i) => derive([ds(`a${i}`)], [ds(`a${i + 1}`)])));
    const up = await lineage(log.store, ds("a9"));
    expect(nodeSet(up)).toEqual(Array.from({ length: 10 }, (_, i) => ds(`a${i}`)).sort());
    expect(up.edges).toHaveLength(9);
    expect(up.truncated).toBe(false);
    expect(up.nodes.find((n) => n.id === ds("a0"))?.up).toBe(9);
    expect(up.edges.find((e) => e.to === ds("a5"))).toMatchObject({
      from: ds("a4"),
      index: 4,
      action: "dataset.transform",
      actor: "svc-etl",
      outcome: "success",
    });

    const shallow = await lineage(log.store, ds("a9"), { depth: 3 });
    expect(nodeSet(shallow)).toEqual([ds("a6"), ds("a7"), ds("a8"), ds("a9")]);
    expect(shallow.edges).toHaveLength(3);
    expect(shallow.truncated).toBe(true);
    const zero = await lineage(log.store, ds("a9"), { depth: 0 });
    expect(nodeSet(zero)).toEqual([ds("a9")]);
    expect(zero.edges).toEqual([]);

    const down = await lineage(log.store, ds("a3"), { direction: "down" });
    expect(nodeSet(down)).toEqual(Array.from({ length: 7 }, (_, i) => ds(`a${i + 3}`)).sort());
    expect(down.nodes.find((n) => n.id === ds("a9"))?.down).toBe(6);

    const both = await lineage(log.store, ds("a3"), { direction: "both", depth: 2 });
    expect(nodeSet(both)).toEqual([ds("a1"), ds("a2"), ds("a3"), ds("a4"), ds("a5")]);
    expect(edgeSet(both)).toEqual([
      `${ds("a1")}->${ds("a2")}`,
      `${ds("a2")}->${ds("a3")}`,
      `${ds("a3")}->${ds("a4")}`,
      `${ds("a4")}->${ds("a5")}`,
    ]);
  });

  it("lists a diamond's shared ancestor once and both of its edges", async () => {
    //   a → b → d,  a → c → d
    await log.append([
      derive([ds("a")], [ds("b")]),
      derive([ds("a")], [ds("c")]),
      derive([ds("b"), ds("c")], [ds("d")]),
    ]);
    const g = await lineage(log.store, ds("d"));
    expect(g.nodes.map((n) => n.id)).toEqual([ds("d"), ds("b"), ds("c"), ds("a")]);
    expect(edgeSet(g)).toEqual([
      `${ds("a")}->${ds("b")}`,
      `${ds("a")}->${ds("c")}`,
      `${ds("b")}->${ds("d")}`,
      `${ds("c")}->${ds("d")}`,
    ]);
    const down = await lineage(log.store, ds("a"), { direction: "down" });
    expect(edgeSet(down)).toEqual(edgeSet(g));
    expect(down.nodes.find((n) => n.id === ds("d"))?.down).toBe(2);
  });

  it("ends on cycles, listing every edge once", async () => {
    // a → b → c → a, and c → d
    await log.append([
      derive([ds("a")], [ds("b")]),
      derive([ds("b")], [ds("c")]),
      derive([ds("c")], [ds("a")]),
      derive([ds("c")], [ds("d")]),
    ]);
    const up = await lineage(log.store, ds("a"), { depth: 100 });
    expect(nodeSet(up)).toEqual([ds("a"), ds("b"), ds("c")]);
    expect(edgeSet(up)).toEqual([
      `${ds("a")}->${ds("b")}`,
      `${ds("b")}->${ds("c")}`,
      `${ds("c")}->${ds("a")}`,
    ]);
    const both = await lineage(log.store, ds("b"), { direction: "both" });
    expect(nodeSet(both)).toEqual([ds("a"), ds("b"), ds("c"), ds("d")]);
    expect(both.edges).toHaveLength(4);
    expect(new Set(edgeSet(both)).size).toBe(4);
    const node = both.nodes.find((n) => n.id === ds("c"));
    expect(node).toMatchObject({ up: 2, down: 1 });
  });

  it("lists a repeated derivation once, citing the entry that created it", async () => {
    await log.append([
      { ts: 1, actor: { id: "u" }, action: "dataset.read", outcome: "success", asset: ds("y") },
      derive([ds("x")], [ds("y")]),
      derive([ds("x")], [ds("y")]),
    ]);
    const g = await lineage(log.store, ds("y"));
    expect(g.edges).toEqual([expect.objectContaining({ from: ds("x"), to: ds("y"), index: 1 })]);
    expect((await lineage(log.store, ds("y"), { asOf: 2 })).edges).toHaveLength(1);
    const before = await lineage(log.store, ds("y"), { asOf: 1 });
    expect(before.edges).toEqual([]);
    expect(nodeSet(before)).toEqual([ds("y")]);
  });

  it("handles a fan-in of 3000 inputs over several events", async () => {
    const inputs = Array.from({ length: 3000 }, (_, i) => ds(`in/${String(i).padStart(4, "0")}`));
    const events = [0, 1000, 2000].map((k) => derive(inputs.slice(k, k + 1000), [ds("wide")]));
    await log.append(events);
    const g = await lineage(log.store, ds("wide"));
    expect(g.nodes).toHaveLength(3001);
    expect(g.edges).toHaveLength(3000);
    expect(nodeSet(g)).toEqual([...inputs, ds("wide")].sort());
    expect(g.edges.find((e) => e.from === ds("in/2999"))?.index).toBe(2);
    const one = await lineage(log.store, ds("in/0042"), { direction: "down" });
    expect(edgeSet(one)).toEqual([`${ds("in/0042")}->${ds("wide")}`]);
  });

  it("answers as of a size: later edges and later assets do not exist yet", async () => {
    await log.append([derive([ds("a")], [ds("b")]), derive([ds("b")], [ds("c")])]);
    await log.append([derive([ds("z")], [ds("c")]), derive([ds("c")], [ds("d")])]);
    const now = await lineage(log.store, ds("c"), { direction: "both" });
    expect(nodeSet(now)).toEqual([ds("a"), ds("b"), ds("c"), ds("d"), ds("z")]);
    const then = await lineage(log.store, ds("c"), { direction: "both", asOf: 2 });
    expect(then.asOf).toBe(2);
    expect(nodeSet(then)).toEqual([ds("a"), ds("b"), ds("c")]);
    expect(edgeSet(then)).toEqual([`${ds("a")}->${ds("b")}`, `${ds("b")}->${ds("c")}`]);
    await expectCode(lineage(log.store, ds("d"), { asOf: 3 }), "E_ASSET_UNKNOWN");
    await expectCode(lineage(log.store, ds("c"), { asOf: 5 }), "E_INDEX_RANGE");
  });

  it("marks assets named by a successful data.erase", async () => {
    await log.append([
      derive([ds("raw")], [ds("clean")]),
      {
        ts: 1,
        actor: { id: "carol" },
        action: "data.erase",
        outcome: "success",
        asset: ds("raw"),
      },
    ]);
    const g = await lineage(log.store, ds("clean"));
    expect(g.nodes.find((n) => n.id === ds("raw"))?.erased).toBe(true);
    expect(g.nodes.find((n) => n.id === ds("clean"))?.erased).toBe(false);
    const before = await lineage(log.store, ds("clean"), { asOf: 1 });
    expect(before.nodes.find((n) => n.id === ds("raw"))?.erased).toBe(false);
  });

  it("rejects unknown assets and bad depths with clear errors", async () => {
    await log.append([derive([ds("a")], [ds("b")])]);
    const e = await expectCode(lineage(log.store, ds("nope")), "E_ASSET_UNKNOWN");
    expect(e.message).toContain("logseal assets");
    await expectCode(lineage(log.store, ds("a"), { depth: -1 }), "E_USAGE");
    await expectCode(lineage(log.store, ds("a"), { depth: 1.5 }), "E_USAGE");
    await expectCode(lineage(log.store, ds("a"), { asOf: -3 }), "E_USAGE");
    await expectCode(lineage(log.store, ds("a"), { direction: "sideways" as "up" }), "E_USAGE");
  });

  it("proves every cited entry, and the proofs check offline", async () => {
    await log.append([
      derive([ds("a")], [ds("b")]),
      { ts: 5, actor: { id: "x" }, action: "dataset.read", outcome: "success", asset: ds("b") },
      derive([ds("b")], [ds("c")]),
    ]);
    await log.checkpoint();
    await log.append([derive([ds("c")], [ds("d")])]);
    const g = await lineage(log.store, ds("d"), { asOf: 3 }).catch((e: unknown) => e);
    expect((g as LogsealError).code).toBe("E_ASSET_UNKNOWN");

    const graph = await lineage(log.store, ds("c"), { asOf: 3 });
    const proofs = await lineageProofs(log, graph);
    expect(proofs.checkpoint.size).toBe(3);
    expect(proofs.entries.map((p) => p.index)).toEqual([0, 2]);

    // Offline: only the answer and the pinned key.
    const cp = openCheckpoint(proofs.checkpoint.note, [parseVkey(log.vkey)], log.origin).checkpoint;
    expect(cp.size).toBe(3);
    const b64 = (s: string) => fromBase64(s) as Uint8Array;
    for (const edge of graph.edges) {
      const p = proofs.entries.find((x) => x.index === edge.index);
      expect(p).toBeDefined();
      if (p === undefined) continue;
      const leaf = b64(p.leaf);
      expect(toBase64(leafHash(leaf))).toBe(p.leafHash);
      expect(checkInclusion(p.index, cp.size, leafHash(leaf), p.proof.map(b64), cp.root)).toBe(
        true,
      );
      expect(lineageEdges(decodeLeaf(leaf), p.index)).toContainEqual({
        from: edge.from,
        to: edge.to,
      });
      // A proof for another index does not check.
      expect(checkInclusion(p.index ^ 1, cp.size, leafHash(leaf), p.proof.map(b64), cp.root)).toBe(
        false,
      );
    }
    // No checkpoint of size 4 yet.
    await expectCode(lineageProofs(log, await lineage(log.store, ds("d"))), "E_NO_CHECKPOINT");
  });
});
