/** Controls at append: unknown ids rejected with their place, policies mapped into the leaf. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ANNEX_A,
  CONTROLS_POLICY_FILE,
  checkInclusion,
  DEFAULT_CONTROLS_POLICY,
  decodeLeaf,
  ISO_2013_CONTROLS,
  isLogsealError,
  LogsealError,
  leafHash,
  open,
  parseCheckpoint,
  parseControlsPolicy,
  parseNote,
  successors2022,
} from "../../src/index.js";
import { ev, newLog } from "./helpers.js";

async function rejection(p: Promise<unknown>): Promise<LogsealError> {
  try {
    await p;
  } catch (e) {
    if (isLogsealError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("2013 → 2022 correspondence", () => {
  it("covers the 114 controls of 2013, each leading to controls of the 2022 catalog", () => {
    expect(ISO_2013_CONTROLS).toBe(114);
    const ids = new Set(ANNEX_A.map((c) => c.id));
    for (const [a, b, c] of [
      [5, 1, 2],
      [6, 2, 2],
      [7, 3, 1],
      [8, 3, 3],
      [9, 4, 5],
      [10, 1, 2],
      [11, 2, 9],
      [12, 7, 1],
      [13, 2, 4],
      [14, 3, 1],
      [15, 2, 2],
      [16, 1, 7],
      [17, 2, 1],
      [18, 2, 3],
    ] as const) {
      const next = successors2022(`A.${a}.${b}.${c}`);
      expect(next, `A.${a}.${b}.${c}`).toBeDefined();
      for (const n of next ?? []) expect(ids.has(n)).toBe(true);
    }
    expect(successors2022("A.12.4.1")).toEqual(["A.8.15"]);
    expect(successors2022("A.18.2.3")).toEqual(["A.5.36", "A.8.8"]);
    expect(successors2022("A.8.11")).toBeUndefined();
  });
});

describe("controls at append", () => {
  it("rejects an unknown id naming the line and field; nothing is written", async () => {
    const { log, cleanup } = await newLog();
    try {
      await log.append([ev(1, "dataset.read")]);
      const e = await rejection(
        log.append([ev(2, "dataset.read"), ev(3, "pii.mask", { controls: ["A.8.11", "A.5.38"] })], {
          locate: (i) => ({ file: "events.jsonl", line: i + 1 }),
        }),
      );
      expect(e.code).toBe("E_CONTROL_UNKNOWN");
      expect(e.location).toEqual({ file: "events.jsonl", line: 2, field: "controls[1]" });
      expect(e.where()).toBe("events.jsonl:2: field controls[1]");
      expect(e.message).toBe(
        '"A.5.38" is not an ISO/IEC 27001:2022 Annex A control: the ids are A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14 and A.8.1-A.8.34',
      );
      expect(log.size).toBe(1);
    } finally {
      await cleanup();
    }
  });

  it("names the 2022 successor of a 2013 id", async () => {
    const { log, cleanup } = await newLog();
    try {
      const e = await rejection(log.append([ev(1, "run.start", { controls: ["A.12.4.1"] })]));
      expect(e.code).toBe("E_CONTROL_UNKNOWN");
      expect(e.location?.field).toBe("controls[0]");
      expect(e.message).toBe(
        '"A.12.4.1" is an ISO/IEC 27001:2013 control; in ISO/IEC 27001:2022 it is A.8.15 (Logging): write that id instead',
      );
      const two = await rejection(log.append([ev(1, "run.start", { controls: ["A.18.2.3"] })]));
      expect(two.message).toContain(
        "it is A.5.36 (Compliance with policies, rules and standards for information security) and A.8.8 (Management of technical vulnerabilities): write those ids instead",
      );
      expect(log.size).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it("leaves ids of the wrong shape to schema validation", async () => {
    const { log, cleanup } = await newLog();
    try {
      const e = await rejection(log.append([ev(1, "run.start", { controls: ["8.11"] })]));
      expect(e.code).toBe("E_EVENT_INVALID");
      expect(e.location?.field).toBe("controls[0]");
    } finally {
      await cleanup();
    }
  });

  it("maps actions to controls inside the signed leaf, after the producer's own", async () => {
    const { log, store, cleanup } = await newLog(DEFAULT_CONTROLS_POLICY);
    try {
      await log.append([
        ev(1, "pii.mask"),
        ev(2, "data.erase", { controls: ["A.5.33"] }),
        ev(3, "access.denied", { controls: ["A.8.3"] }),
        ev(4, "model.export"),
        ev(5, "something.else"),
      ]);
      const cp = await log.checkpoint();
      const controls = [];
      for (let i = 0; i < 5; i++) controls.push((await log.get(i)).event.controls);
      expect(controls).toEqual([
        ["A.5.34", "A.8.11"],
        ["A.5.33", "A.8.10", "A.5.34"],
        ["A.8.3", "A.5.15"],
        ["A.8.15", "A.8.12", "A.5.14"],
        undefined,
      ]);
      // The mapping is in the leaf the checkpoint signs.
      const root = parseCheckpoint(parseNote(cp.note).text).root;
      const p = await log.proveInclusion(0);
      const { leaf } = await log.get(0);
      expect(decodeLeaf(leaf).controls).toEqual(["A.5.34", "A.8.11"]);
      expect(checkInclusion(0, cp.size, leafHash(leaf), p.proof, root)).toBe(true);
      // Reopened, the store keeps its policy.
      await log.close();
      const again = await open(store);
      try {
        await again.append([ev(6, "pii.mask")]);
        expect((await again.get(5)).event.controls).toEqual(["A.5.34", "A.8.11"]);
        expect(again.hooks.transforms).toContain("controls");
      } finally {
        await again.close();
      }
    } finally {
      await cleanup();
    }
  });

  it("maps nothing in a store without a policy file", async () => {
    const { log, cleanup } = await newLog();
    try {
      await log.append([ev(1, "pii.mask")]);
      expect((await log.get(0)).event.controls).toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  it("refuses to open a store whose policy file is damaged, naming the file and field", async () => {
    const { log, store, cleanup } = await newLog();
    try {
      await log.close();
      const file = join(store, CONTROLS_POLICY_FILE);
      await writeFile(
        file,
        JSON.stringify({
          format: "logseal-controls-policy/v1",
          rules: [{ action: "x.y", controls: ["A.10.1.1"] }],
        }),
      );
      const e = await rejection(open(store));
      expect(e.code).toBe("E_CONTROLS_POLICY_INVALID");
      expect(e.location).toEqual({ file, field: "rules[0].controls[0]" });
      expect(e.message).toContain("in ISO/IEC 27001:2022 it is A.8.24 (Use of cryptography)");
      // The store was closed again: it opens once the file is fixed.
      await writeFile(file, JSON.stringify({ format: "logseal-controls-policy/v1", rules: [] }));
      await (await open(store)).close();
    } finally {
      await cleanup();
    }
  });
});

describe("parseControlsPolicy", () => {
  const bad = (text: string) => {
    try {
      parseControlsPolicy(text, "p.json");
    } catch (e) {
      if (e instanceof LogsealError) return e;
    }
    throw new Error("accepted");
  };
  it("accepts the default policy as written", () => {
    expect(parseControlsPolicy(JSON.stringify(DEFAULT_CONTROLS_POLICY))).toEqual(
      DEFAULT_CONTROLS_POLICY,
    );
  });
  it("names what is wrong", () => {
    const f = "logseal-controls-policy/v1";
    expect(bad("{").location).toEqual({ file: "p.json", line: 1 });
    expect(bad(`{"format":"${f}","format":"${f}","rules":[]}`).code).toBe(
      "E_CONTROLS_POLICY_INVALID",
    );
    expect(bad(`{"format":"x","rules":[]}`).location?.field).toBe("format");
    expect(
      bad(`{"format":"${f}","rules":[{"action":"Pii.Mask","controls":["A.8.11"]}]}`).location
        ?.field,
    ).toBe("rules[0].action");
    expect(
      bad(`{"format":"${f}","rules":[{"action":"pii.mask","controls":[]}]}`).location?.field,
    ).toBe("rules[0].controls");
    expect(
      bad(`{"format":"${f}","rules":[{"action":"pii.mask","controls":["A.8.11","A.8.11"]}]}`)
        .location?.field,
    ).toBe("rules[0].controls[1]");
    expect(
      bad(`{"format":"${f}","rules":[{"action":"a.b","controls":["A.8.11"],"x":1}]}`).location
        ?.field,
    ).toBe("rules[0].x");
  });
});
