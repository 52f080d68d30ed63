import { describe, expect, it } from "vitest";
import { LogsealError } from "../../src/errors.js";
import {
  completeEvent,
  type EventInput,
  MAX_TIMESTAMP,
  validateEvent,
  validateStoredEvent,
} from "../../src/event/index.js";

const base = {
  ts: 1_764_000_000_000,
  actor: { id: "alice@example.com", role: "data-engineer", kind: "user" },
  action: "dataset.read",
  outcome: "success",
};

/** Runs `f`, expects an E_EVENT_INVALID whose field is `field`, returns the error. */
function invalid(value: unknown, field: string | undefined): LogsealError {
  let caught: unknown;
  try {
    validateEvent(value, { file: "events.jsonl", line: 7 });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LogsealError);
  const err = caught as LogsealError;
  expect(err.code).toBe("E_EVENT_INVALID");
  expect(err.location?.field).toBe(field);
  expect(err.location?.file).toBe("events.jsonl");
  expect(err.location?.line).toBe(7);
  return err;
}

const withField = (k: string, v: unknown) => ({ ...base, [k]: v });

describe("validateEvent: realistic AI-data events pass", () => {
  const events: Record<string, unknown>[] = [
    {
      id: "ing-2026-11-02-001",
      ts: 1_793_606_400_000,
      actor: { id: "svc-ingest", kind: "service" },
      action: "dataset.ingest",
      outcome: "success",
      asset: "dataset:raw/support-tickets/2026-11-02",
      inputs: ["source:s3://acme-landing/support-tickets/2026-11-02/"],
      outputs: ["dataset:raw/support-tickets/2026-11-02"],
      controls: ["A.5.9", "A.8.15"],
      details: { rows: 212_345, bytes: 98_765_432_100, format: "parquet", sha256: "ab".repeat(32) },
    },
    {
      v: 1,
      actor: { id: "svc-pii-scanner", kind: "service" },
      action: "pii.mask",
      outcome: "success",
      asset: "dataset:clean/support-tickets/2026-11-02",
      inputs: ["dataset:raw/support-tickets/2026-11-02"],
      outputs: ["dataset:clean/support-tickets/2026-11-02"],
      controls: ["A.8.11", "A.5.34"],
      details: { detectors: ["email", "phone", "iban"], masked: { email: 1832, phone: 77 } },
    },
    {
      ts: 1_793_610_000_000,
      actor: { id: "bob", role: "ml-engineer", kind: "user" },
      action: "run.start",
      outcome: "success",
      asset: "run:0f6c1a7e-5d2b-4c1e-9a1f-2b3c4d5e6f70",
      inputs: ["dataset:features/churn/2026-11-02", "model:churn@v6"],
      details: { gpus: 8, framework: "pytorch", lr: 0.0003, seed: 42, notes: null },
    },
    {
      ts: 1_793_620_000_000,
      actor: { id: "svc-model-registry", kind: "service" },
      action: "model.export",
      outcome: "success",
      asset: "model:churn@v7",
      outputs: ["file:s3://acme-models/churn/v7/model.onnx"],
      controls: ["A.8.32"],
      details: { format: "onnx", sha256: "cd".repeat(32), approved_by: "carol" },
    },
    {
      ts: 1_793_630_000_000,
      actor: { id: "mallory@contractor.example", role: "analyst" },
      action: "access.denied",
      outcome: "denied",
      asset: "dataset:raw/call-transcripts/2026-11-02",
      controls: ["A.5.15", "A.8.3"],
      details: { reason: "role analyst may not read raw datasets", ip: "203.0.113.9" },
    },
    {
      id: "erasure-req-4711",
      ts: 1_793_640_000_000,
      actor: { id: "dpo@acme.example", role: "privacy-officer", kind: "user" },
      action: "data.erase",
      outcome: "success",
      asset: "subject:7f3a",
      controls: ["A.8.10", "A.5.34"],
      details: { legal_basis: "GDPR Art. 17", scope: ["vault", "clean datasets"], keys_deleted: 1 },
    },
    {
      actor: { id: "agent:copilot-7", kind: "agent" },
      action: "prompt.send",
      outcome: "failure",
      details: {},
    },
  ];
  it.each(events.map((e, i) => [i, e] as const))("event %i", (_, e) => {
    const out = validateEvent(e);
    expect(out.v).toBe(1);
    expect(out).toEqual({ v: 1, ...e });
    expect(out).not.toBe(e);
  });
});

describe("validateEvent: normalisation", () => {
  it("sets v, keeps everything else, copies deeply", () => {
    const details = { a: { b: [1, 2] } };
    const input = { ...base, details };
    const out = validateEvent(input);
    expect(out).toEqual({ v: 1, ...input });
    expect(out.details).not.toBe(details);
    expect(out.details?.a).not.toBe(details.a);
    expect(out.actor).not.toBe(input.actor);
  });
  it("leaves out optional fields that are undefined", () => {
    const out = validateEvent({ ...base, id: undefined, asset: undefined, details: undefined });
    expect(Object.keys(out)).not.toContain("id");
    expect(Object.keys(out)).not.toContain("asset");
    expect(Object.keys(out)).not.toContain("details");
    const a = validateEvent({ ...base, actor: { id: "x", role: undefined } });
    expect(Object.keys(a.actor)).toEqual(["id"]);
  });
  it("turns -0 into 0", () => {
    const out = validateEvent({ ...base, ts: -0, details: { z: -0, l: [-0] } });
    expect(Object.is(out.ts, 0)).toBe(true);
    expect(Object.is(out.details?.z, 0)).toBe(true);
    expect(Object.is((out.details as { l: number[] }).l[0], 0)).toBe(true);
  });
  it("keeps a __proto__ key in details as an own property", () => {
    const details = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
    const out = validateEvent({ ...base, details });
    expect(Object.keys(out.details ?? {})).toEqual(["__proto__", "x"]);
    expect(Object.getPrototypeOf(out.details)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out.details, "__proto__")?.value).toEqual({
      polluted: true,
    });
  });
  it("accepts objects with a null prototype", () => {
    const e = Object.assign(Object.create(null), base);
    expect(validateEvent(e).action).toBe("dataset.read");
  });
});

describe("validateEvent: top level", () => {
  it.each([
    [null, "null"],
    [[], "an array"],
    ["{}", "a string"],
    [42, "a number"],
    [new Date(0), "a Date object"],
  ])("rejects %j as an event", (value, what) => {
    const err = invalid(value, undefined);
    expect(err.message).toContain(what);
    expect(err.message).toContain("must be a JSON object");
  });
  it("rejects unknown fields, naming them and pointing to details", () => {
    const err = invalid(withField("dataset", "x"), "dataset");
    expect(err.message).toContain('unknown field "dataset"');
    expect(err.message).toContain('did you mean "asset"?');
    expect(err.message).toContain('"details"');
    expect(invalid(withField("acton", 1), "acton").message).toContain("did you mean");
    expect(invalid(withField("timestamp", 1), "timestamp").message).toContain('"ts"');
    expect(invalid(withField("zzz", 1), "zzz").message).toContain("schema v1 has v, id, ts");
    expect(invalid(withField("a.b", 1), '["a.b"]').message).toContain("unknown field");
  });
  it("rejects at from a producer", () => {
    const err = invalid(withField("at", 1_764_000_000_000), "at");
    expect(err.message).toContain("set by the log");
  });
  it("v: optional, 1 only", () => {
    expect(validateEvent({ ...base, v: 1 }).v).toBe(1);
    for (const v of [0, 2, "1", 1.5, null, true]) invalid(withField("v", v), "v");
  });
  it("keeps only location file and line from the caller", () => {
    let caught: LogsealError | undefined;
    try {
      validateEvent(withField("v", 2), { file: "f", line: 3, field: "stale" });
    } catch (e) {
      caught = e as LogsealError;
    }
    expect(caught?.location).toEqual({ file: "f", line: 3, field: "v" });
    expect(caught?.where()).toBe("f:3: field v");
  });
});

describe("validateEvent: ts", () => {
  it("is optional", () => {
    const { ts: _, ...noTs } = base;
    expect(validateEvent(noTs).ts).toBeUndefined();
  });
  it.each([0, 1, 1_764_000_000_000, MAX_TIMESTAMP])("accepts %d", (ts) => {
    expect(validateEvent(withField("ts", ts)).ts).toBe(ts);
  });
  it.each([
    -1,
    1.5,
    MAX_TIMESTAMP + 1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    "1764000000000",
    "2026-11-02T08:00:00Z",
    null,
    1_764_000_000_000n,
  ])("rejects %s", (ts) => {
    expect(invalid(withField("ts", ts), "ts").message).toContain("milliseconds");
  });
});

describe("validateEvent: id", () => {
  it.each(["a", "evt-000001", "x".repeat(256), "é".repeat(128), "日本語 id", "a\u200db"])(
    "accepts %j",
    (id) => {
      expect(validateEvent(withField("id", id)).id).toBe(id);
    },
  );
  it.each([
    ["", "empty"],
    ["x".repeat(257), "257 bytes"],
    ["é".repeat(129), "258 bytes"],
    [" a", "white space"],
    ["a\t", "control"],
    ["a\u00a0", "white space"],
    ["a\nb", "control"],
    ["a\u0000b", "control"],
    ["a\u007fb", "control"],
    ["a\u0085b", "control"],
    ["a\u202eb", "bidirectional"],
    ["a\u2066b", "bidirectional"],
    ["a\u2028b", "line separator"],
    ["a\ud800b", "lone surrogate"],
    ["a\udc00", "lone surrogate"],
    [7, "must be a string"],
    [null, "must be a string"],
  ])("rejects %j (%s)", (id, why) => {
    expect(invalid(withField("id", id), "id").message).toContain(why);
  });
});

describe("validateEvent: actor", () => {
  const withActor = (actor: unknown) => ({ ...base, actor });
  it("is required", () => {
    const { actor: _, ...noActor } = base;
    invalid(noActor, "actor");
  });
  it.each([null, "alice", ["alice"], 1])("must be an object, not %j", (actor) => {
    invalid(withActor(actor), "actor");
  });
  it("needs id", () => {
    invalid(withActor({ role: "x" }), "actor.id");
    invalid(withActor({ id: "" }), "actor.id");
    invalid(withActor({ id: 5 }), "actor.id");
    invalid(withActor({ id: "x".repeat(257) }), "actor.id");
    invalid(withActor({ id: "bob\u001b[31m" }), "actor.id");
  });
  it("role is printable text up to 128 bytes", () => {
    expect(validateEvent(withActor({ id: "a", role: "r".repeat(128) })).actor.role).toHaveLength(
      128,
    );
    invalid(withActor({ id: "a", role: "r".repeat(129) }), "actor.role");
    invalid(withActor({ id: "a", role: "" }), "actor.role");
    invalid(withActor({ id: "a", role: 3 }), "actor.role");
  });
  it("kind is user, service or agent", () => {
    for (const kind of ["user", "service", "agent"]) {
      expect(validateEvent(withActor({ id: "a", kind })).actor.kind).toBe(kind);
    }
    for (const kind of ["User", "system", "", 1, null]) {
      expect(invalid(withActor({ id: "a", kind }), "actor.kind").message).toContain(
        "user, service, agent",
      );
    }
  });
  it("rejects unknown actor fields", () => {
    const err = invalid(withActor({ id: "a", name: "Alice" }), "actor.name");
    expect(err.message).toContain("details");
    invalid(withActor({ id: "a", "e-mail": "x" }), 'actor["e-mail"]');
  });
});

describe("validateEvent: action and outcome", () => {
  it.each(["dataset.read", "a.b", "model.export", "pii.mask", "run.start.v2", "x9.y_z.w"])(
    "accepts action %j",
    (action) => {
      expect(validateEvent(withField("action", action)).action).toBe(action);
    },
  );
  it.each([
    "read",
    "Dataset.read",
    "dataset.Read",
    "dataset..read",
    ".dataset.read",
    "dataset.read.",
    "dataset.1read",
    "_x.y",
    "dataset-read.x-y",
    "dataset read",
    "dataset.réad",
    `a.${"b".repeat(127)}`,
    "",
    5,
  ])("rejects action %j", (action) => {
    expect(invalid(withField("action", action), "action").message).toContain("lowercase dotted");
  });
  it("accepts an action of exactly 128 bytes", () => {
    const action = `a.${"b".repeat(125)}`;
    expect(action).toHaveLength(127);
    expect(validateEvent(withField("action", `${action}c`)).action).toHaveLength(128);
  });
  it("requires action and outcome", () => {
    const { action: _a, ...noAction } = base;
    invalid(noAction, "action");
    const { outcome: _o, ...noOutcome } = base;
    invalid(noOutcome, "outcome");
  });
  it.each(["success", "failure", "denied"])("accepts outcome %j", (outcome) => {
    expect(validateEvent(withField("outcome", outcome)).outcome).toBe(outcome);
  });
  it.each(["ok", "Success", "", null, true])("rejects outcome %j", (outcome) => {
    expect(invalid(withField("outcome", outcome), "outcome").message).toContain(
      "success, failure, denied",
    );
  });
});

describe("validateEvent: asset, inputs, outputs", () => {
  it.each([
    "dataset:customers",
    "model:churn@v7",
    "run:0f6c1a7e",
    "job:nightly-etl",
    "dataset:s3://bucket/path/with spaces/x.parquet",
    "file:C:\\data\\x.csv",
    "feature_view2:a",
    "dataset:日本",
    `k:${"n".repeat(1022)}`,
    `${"k".repeat(32)}:n`,
  ])("accepts asset %j", (asset) => {
    expect(validateEvent(withField("asset", asset)).asset).toBe(asset);
  });
  it.each([
    ["customers", "kind:name"],
    [":customers", "kind:name"],
    ["Dataset:customers", "kind:name"],
    ["data set:customers", "kind:name"],
    ["1dataset:x", "kind:name"],
    [`${"k".repeat(33)}:n`, "kind:name"],
    ["dataset:", "empty name"],
    ["dataset: x", "white space"],
    ["dataset:x ", "white space"],
    ["dataset:a\nb", "control"],
    ["dataset:a\u202eb", "bidirectional"],
    [`k:${"n".repeat(1023)}`, "1025 bytes"],
    [5, "must be an asset reference"],
  ])("rejects asset %j (%s)", (asset, why) => {
    expect(invalid(withField("asset", asset), "asset").message).toContain(why);
  });
  it("inputs and outputs are arrays of asset references, each listed once", () => {
    expect(validateEvent(withField("inputs", [])).inputs).toEqual([]);
    invalid(withField("inputs", "dataset:a"), "inputs");
    invalid(withField("outputs", { 0: "dataset:a" }), "outputs");
    invalid(withField("inputs", ["dataset:a", "dataset:b", "bad"]), "inputs[2]");
    invalid(withField("outputs", ["dataset:a", null]), "outputs[1]");
    const err = invalid(withField("inputs", ["dataset:a", "dataset:b", "dataset:a"]), "inputs[2]");
    expect(err.message).toContain("repeats inputs[0]");
    const sparse = ["dataset:a", "dataset:b", "dataset:c"];
    delete sparse[1];
    invalid(withField("inputs", sparse), "inputs[1]");
  });
  it("an asset may be both an input and an output (in-place update)", () => {
    const e = validateEvent({ ...base, inputs: ["dataset:a"], outputs: ["dataset:a"] });
    expect(e.outputs).toEqual(["dataset:a"]);
  });
  it("limits inputs to 1024 entries", () => {
    const list = Array.from({ length: 1025 }, (_, i) => `dataset:d${i}`);
    expect(validateEvent(withField("inputs", list.slice(0, 1024))).inputs).toHaveLength(1024);
    expect(invalid(withField("inputs", list), "inputs").message).toContain("1025 entries");
  });
});

describe("validateEvent: controls", () => {
  it("accepts Annex A ids", () => {
    const controls = ["A.5.1", "A.5.37", "A.6.8", "A.7.14", "A.8.34", "A.8.99"];
    expect(validateEvent(withField("controls", controls)).controls).toEqual(controls);
  });
  it.each([
    "A.4.1",
    "A.9.1",
    "A.8.0",
    "A.8.011",
    "A.8.100",
    "a.8.11",
    "8.11",
    "A.8",
    "A.8.11 ",
    8.11,
  ])("rejects %j", (c) => {
    expect(invalid(withField("controls", ["A.8.11", c]), "controls[1]").message).toContain(
      "Annex A",
    );
  });
  it("rejects duplicates and non-arrays", () => {
    invalid(withField("controls", ["A.8.11", "A.8.11"]), "controls[1]");
    invalid(withField("controls", "A.8.11"), "controls");
  });
});

describe("validateEvent: details", () => {
  const withDetails = (details: unknown) => withField("details", details);
  it("must be an object", () => {
    for (const d of [null, [], "x", 1, true]) invalid(withDetails(d), "details");
  });
  it("accepts free-form JSON", () => {
    const details = {
      s: "any text\nwith\tcontrols\u0000 and \u202e bidi",
      n: [0, -1, 0.5, -1.25, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e-300, 5e-324],
      b: [true, false],
      z: null,
      o: { "": "empty key", "a.b": 1, "10": 2, __proto__: 3, "😀": 4 },
    };
    expect(validateEvent(withDetails(details)).details).toEqual(details);
  });
  it("names the exact path of a bad value", () => {
    invalid(withDetails({ a: { b: Number.NaN } }), "details.a.b");
    invalid(withDetails({ a: [1, 2, { c: Number.POSITIVE_INFINITY }] }), "details.a[2].c");
    invalid(withDetails({ "a.b": { "c d": undefined } }), 'details["a.b"]["c d"]');
    invalid(withDetails({ "": -Number.POSITIVE_INFINITY }), 'details[""]');
    invalid(withDetails({ x: "\ud83d" }), "details.x");
    invalid(withDetails({ "k\udc00": 1 }), 'details["k\\udc00"]');
    invalid(withDetails({ f: () => 1 }), "details.f");
    invalid(withDetails({ d: new Date(0) }), "details.d");
    invalid(withDetails({ m: new Map() }), "details.m");
    invalid(withDetails({ u: new Uint8Array(2) }), "details.u");
    invalid(withDetails({ s: Symbol("s") }), "details.s");
  });
  it("rejects integers beyond 2^53-1 with advice to send a string", () => {
    for (const n of [2 ** 53, -(2 ** 53), 2 ** 64, 1e300, -1e300]) {
      const err = invalid(withDetails({ big: n }), "details.big");
      expect(err.message).toContain("send it as a string");
    }
    expect(invalid(withDetails({ big: 10n }), "details.big").message).toContain("bigint");
  });
  it("allows nesting to depth 32 and no deeper", () => {
    const nest = (depth: number): Record<string, unknown> => {
      let v: Record<string, unknown> = {};
      for (let i = 1; i < depth; i++) v = { a: v };
      return v;
    };
    expect(validateEvent(withDetails(nest(32))).details).toEqual(nest(32));
    const path = `details${".a".repeat(32)}`;
    invalid(withDetails(nest(33)), path);
    const arr: unknown[] = [];
    let cur = arr;
    for (let i = 0; i < 40; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    invalid(withDetails({ arr }), `details.arr${"[0]".repeat(31)}`);
  });
  it("rejects cycles (through the depth limit)", () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    invalid(withDetails(o), `details${".self".repeat(32)}`);
  });
  it("rejects class instances", () => {
    class Thing {
      a = 1;
    }
    invalid(withDetails(new Thing()), "details");
    invalid(
      {
        ...base,
        actor: new (class {
          id = "x";
        })(),
      },
      "actor",
    );
  });
});

describe("validateStoredEvent and completeEvent", () => {
  const input = validateEvent(base) as EventInput;
  it("completeEvent sets at and keeps ts", () => {
    const e = completeEvent(input, 1_764_000_000_123);
    expect(e).toEqual({ v: 1, ...base, at: 1_764_000_000_123 });
    expect(validateStoredEvent(e)).toEqual(e);
  });
  it("completeEvent fills a missing ts with at", () => {
    const { ts: _, ...noTs } = base;
    const e = completeEvent(validateEvent(noTs), 99);
    expect(e.ts).toBe(99);
    expect(e.at).toBe(99);
  });
  it("completeEvent rejects a bad clock as a caller bug", () => {
    expect(() => completeEvent(input, -1)).toThrow(RangeError);
    expect(() => completeEvent(input, 1.5)).toThrow(RangeError);
    expect(() => completeEvent(input, Number.NaN)).toThrow(RangeError);
  });
  it("a stored event needs v, ts and at", () => {
    const e = completeEvent(input, 5);
    const { at: _at, ...noAt } = e;
    const { ts: _ts, ...noTs } = e;
    const { v: _v, ...noV } = e;
    for (const [value, field] of [
      [noAt, "at"],
      [noTs, "ts"],
      [noV, "v"],
      [{ ...e, at: -1 }, "at"],
      [{ ...e, at: "5" }, "at"],
    ] as const) {
      let caught: LogsealError | undefined;
      try {
        validateStoredEvent(value);
      } catch (err) {
        caught = err as LogsealError;
      }
      expect(caught?.code).toBe("E_EVENT_INVALID");
      expect(caught?.location?.field).toBe(field);
    }
  });
});
