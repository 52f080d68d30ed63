/** OpenLineage import on the real samples (fixtures/SOURCES.md) and on malformed input. */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Event,
  fromOpenLineage,
  importOpenLineage,
  type Log,
  LogsealError,
  lineage,
  parseOpenLineage,
  query,
} from "../../src/index.js";
import { edgeSet, newLog } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const sample = (name: string) => readFile(join(FIXTURES, name), "utf8");
const SAMPLES = [
  "01_client-python_example_full_event.json",
  "02_client-python_serde_example_run_event.json",
  "03_fluentd_event_simple.json",
  "04_fluentd_event_full.json",
  "05_spec-tests_example_full_event.json",
  "06_dbt-postgres_failed_run_ol_events.json",
  "07_hive_cllSimpleQueryMaskingComplete.json",
  "08_spark_pysparkHiveRunningEvent.json",
  "09_flink1_expected_kafka.json",
  "10_flink1_expected_failed.json",
];

/** details.openlineage of an event. */
const ol = (e: { details?: Record<string, unknown> } | undefined) =>
  (e?.details?.openlineage ?? {}) as Record<string, unknown>;

let log: Log;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ log, cleanup } = await newLog());
});
afterEach(() => cleanup());

async function events(l: Log): Promise<Event[]> {
  const out: Event[] = [];
  for (let i = 0; i < l.size; i++) out.push((await l.get(i)).event);
  return out;
}

const run = (extra: Record<string, unknown> = {}) => ({
  eventType: "COMPLETE",
  eventTime: "2026-11-26T08:00:00Z",
  run: { runId: "0190f0b8-0000-7000-8000-000000000001" },
  job: { namespace: "airflow", name: "etl.clean" },
  inputs: [{ namespace: "s3://raw", name: "tickets" }],
  outputs: [{ namespace: "s3://clean", name: "tickets" }],
  producer: "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/airflow",
  schemaURL: "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
  ...extra,
});

describe("OpenLineage samples", () => {
  it("maps a full RunEvent, keeping it whole in details", async () => {
    const text = await sample(SAMPLES[0] as string);
    const r = await importOpenLineage(log, text, { file: "01.json" });
    expect(r).toMatchObject({ read: 1, appended: 1, duplicates: 0, problems: [], size: 1 });
    const [e] = await events(log);
    expect(e).toMatchObject({
      ts: Date.parse("2020-12-28T19:51:01.641Z"),
      actor: {
        id: "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client",
        kind: "service",
      },
      action: "run.complete",
      outcome: "success",
      asset: "run:ea041791-68bc-4ae1-bd89-4c8106a157e4",
      inputs: [
        "job:my-scheduler-namespace/myjob.mytask",
        "dataset:my-datasource-namespace/instance.schema.table",
      ],
      outputs: ["dataset:my-datasource-namespace/instance.schema.table"],
    });
    expect(e?.id).toMatch(/^openlineage:[0-9a-f]{64}$/);
    expect(e?.details?.openlineage).toEqual(JSON.parse(text));
  });

  it("imports every importable sample, reports the others, and re-imports nothing", async () => {
    const outcomes: Record<string, unknown> = {};
    for (const name of SAMPLES) {
      const text = await sample(name);
      const parsed = parseOpenLineage(text, name);
      outcomes[name] = {
        read: parsed.read,
        ok: parsed.events.length,
        problems: parsed.problems.map((p) => `${p.line}: ${p.reason}`),
      };
      if (parsed.events.length > 0) await importOpenLineage(log, text, { file: name });
    }
    expect(outcomes).toEqual({
      [SAMPLES[0] as string]: { read: 1, ok: 1, problems: [] },
      [SAMPLES[1] as string]: { read: 1, ok: 1, problems: [] },
      [SAMPLES[2] as string]: { read: 1, ok: 1, problems: [] },
      [SAMPLES[3] as string]: { read: 1, ok: 1, problems: [] },
      [SAMPLES[4] as string]: { read: 1, ok: 1, problems: [] },
      [SAMPLES[5] as string]: { read: 8, ok: 8, problems: [] },
      [SAMPLES[6] as string]: { read: 1, ok: 0, problems: ["1: no run.runId"] },
      [SAMPLES[7] as string]: { read: 1, ok: 0, problems: ["1: no run.runId"] },
      [SAMPLES[8] as string]: {
        read: 1,
        ok: 0,
        problems: [`1: eventTime "\${json-unit.any-string}" is not an ISO 8601 date-time`],
      },
      [SAMPLES[9] as string]: { read: 1, ok: 0, problems: ["1: no eventTime"] },
    });
    // 04 is the same RunEvent identity as 01 (runId, eventType, eventTime): already in the log.
    expect(log.size).toBe(12);
    const all = await events(log);
    expect(all.map((e) => e.action)).toEqual([
      "run.complete",
      "run.start",
      "run.complete",
      "run.complete",
      "run.start",
      "run.start",
      "run.start",
      "run.complete",
      "run.start",
      "run.fail",
      "run.fail",
      "run.fail",
    ]);
    expect(all.filter((e) => e.outcome === "failure")).toHaveLength(3);
    // 02: no offset, read as UTC, microseconds truncated.
    expect(all[1]?.ts).toBe(Date.UTC(2021, 10, 3, 10, 53, 52, 427));
    // 03: +10:00.
    expect(all[2]?.ts).toBe(Date.UTC(2020, 11, 28, 9, 52, 0, 1));
    // 05: the stray top-level key is kept.
    expect(ol(all[3]).dataset).toEqual({
      namespace: "123",
      name: "1",
    });
    // No producer in 06: the job is the actor.
    expect(all[4]?.actor.id).toBe("job:dbt-test-namespace/dbt-run-jaffle_shop");

    for (const name of SAMPLES.slice(0, 6)) {
      const r = await importOpenLineage(log, await sample(name), { file: name });
      expect(r.appended, name).toBe(0);
    }
    expect(log.size).toBe(12);

    // The dbt model's lineage: the output derived, through the run, from both inputs and the job.
    const g = await lineage(log.store, "dataset:postgres://postgres:5432/postgres.public.orders");
    expect(edgeSet(g)).toContain(
      "dataset:postgres://postgres:5432/postgres.public.stg_orders->run:{{ any(result) }}",
    );
    expect(edgeSet(g)).toContain(
      "run:{{ any(result) }}->dataset:postgres://postgres:5432/postgres.public.orders",
    );
    expect(edgeSet(g)).toContain(
      "job:dbt-test-namespace/model.jaffle_shop.orders->run:{{ any(result) }}",
    );
    const fails = await query(log.store, { outcome: "failure" });
    expect(fails.entries.map((h) => h.index)).toEqual([9, 10, 11]);
  });

  it("maps every event type", () => {
    const got = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER", undefined].map((t) => {
      const e = fromOpenLineage(run(t === undefined ? { eventType: undefined } : { eventType: t }));
      return `${e.action} ${e.outcome}`;
    });
    expect(got).toEqual([
      "run.start success",
      "run.running success",
      "run.complete success",
      "run.abort failure",
      "run.fail failure",
      "run.other success",
      "run.other success",
    ]);
  });

  it("derives the id from (runId, eventType, eventTime) only", () => {
    const a = fromOpenLineage(run());
    expect(fromOpenLineage(run({ inputs: [], producer: "x" })).id).toBe(a.id);
    expect(fromOpenLineage(run({ eventType: "FAIL" })).id).not.toBe(a.id);
    expect(fromOpenLineage(run({ eventTime: "2026-11-26T08:00:01Z" })).id).not.toBe(a.id);
    const expected = createHash("sha256")
      .update(JSON.stringify([run().run.runId, "COMPLETE", "2026-11-26T08:00:00Z"]))
      .digest("hex");
    expect(a.id).toBe(`openlineage:${expected}`);
  });
});

describe("malformed OpenLineage input", () => {
  it("reports each bad event with its line and imports the rest", async () => {
    const lines = [
      JSON.stringify(run()),
      "{not json",
      JSON.stringify({ eventTime: "2026-11-26T08:00:00Z", job: { namespace: "a", name: "b" } }),
      JSON.stringify(run({ eventType: "DONE" })),
      JSON.stringify(run({ eventTime: "yesterday" })),
      JSON.stringify(run({ inputs: {} })),
      JSON.stringify(run({ outputs: [{ namespace: "x" }] })),
      JSON.stringify(run({ job: { namespace: "a" } })),
      "[1, 2]",
      "",
      JSON.stringify(run({ run: { runId: "r2" }, unknownKey: { deep: [1, 2, 3] } })),
      JSON.stringify(run({ outputs: [{ namespace: "s3://x", name: "bad\u0007name" }] })),
    ];
    const r = await importOpenLineage(log, `${lines.join("\n")}\n`, { file: "mixed.jsonl" });
    expect(r.appended).toBe(2);
    expect(r.read).toBe(11);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 12]);
    const reasons = Object.fromEntries(r.problems.map((p) => [p.line, p.reason]));
    expect(reasons[2]).toMatch(/invalid JSON/);
    expect(reasons[3]).toMatch(/not a RunEvent/);
    expect(reasons[4]).toMatch(/eventType "DONE" is not one of START, RUNNING/);
    expect(reasons[5]).toMatch(/eventTime "yesterday"/);
    expect(reasons[6]).toBe("inputs is not an array");
    expect(reasons[7]).toBe("outputs[0] has no namespace and name");
    expect(reasons[8]).toBe("no job.namespace and job.name");
    expect(reasons[9]).toMatch(/not a JSON object/);
    expect(reasons[12]).toMatch(/^outputs\[0\]: /);
    const second = (await log.get(1)).event;
    expect(ol(second).unknownKey).toEqual({
      deep: [1, 2, 3],
    });
    // Indexed as part of the import.
    expect((await query(log.store, { asset: "run:r2" })).entries.map((h) => h.index)).toEqual([1]);
  });

  it("imports nothing with --strict when one event is bad", async () => {
    const text = `${JSON.stringify(run())}\n${JSON.stringify(run({ eventTime: 5 }))}\n`;
    const e = await importOpenLineage(log, text, { file: "f.jsonl", strict: true }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(LogsealError);
    expect(e).toMatchObject({
      code: "E_OPENLINEAGE_INVALID",
      location: { file: "f.jsonl", line: 2 },
    });
    expect((e as LogsealError).message).toContain("nothing was imported");
    expect(log.size).toBe(0);
  });

  it("fails when nothing at all can be imported, and on text that is not JSON", async () => {
    await expect(importOpenLineage(log, '{"eventType":"START"}')).rejects.toMatchObject({
      code: "E_OPENLINEAGE_INVALID",
    });
    await expect(importOpenLineage(log, "{")).rejects.toMatchObject({ code: "E_INPUT_JSON" });
    await expect(importOpenLineage(log, "  \n")).rejects.toMatchObject({ code: "E_INPUT_EMPTY" });
    await expect(importOpenLineage(log, "[1]")).rejects.toMatchObject({ code: "E_INPUT_JSON" });
    expect(log.size).toBe(0);
  });

  it("keeps facet names and a SHA-256 when the whole event does not fit in a leaf", async () => {
    const big = run({
      run: {
        runId: "r-big",
        facets: { spark_logicalPlan: { plan: "x".repeat(70_000) }, nominalTime: { a: 1 } },
      },
    });
    const e = fromOpenLineage(big);
    const summary = ol(e);
    const omitted = summary.omitted as Record<string, unknown>;
    expect(omitted.reason).toMatch(/more than 65535/);
    expect((omitted.facets as Record<string, unknown>).run).toEqual([
      "spark_logicalPlan",
      "nominalTime",
    ]);
    expect(omitted.sha256).toBe(createHash("sha256").update(canonical(big)).digest("hex"));
    expect(summary.run).toEqual({ runId: "r-big" });
    expect(e.inputs).toEqual(["job:airflow/etl.clean", "dataset:s3://raw/tickets"]);

    const unsafe = fromOpenLineage(
      JSON.parse(
        JSON.stringify(run({ run: { runId: "r-int", facets: { f: { n: 1 } } } })).replace(
          '"n":1',
          '"n":123456789012345678901',
        ),
      ),
    );
    const o2 = ol(unsafe).omitted as Record<string, unknown>;
    expect(o2.reason).toMatch(/cannot store at run\.facets\.f\.n/);
    await importOpenLineage(log, JSON.stringify([big, run({ run: { runId: "r-int" } })]));
    expect(log.size).toBe(2);
  });
});

/** JSON with object keys sorted, as the importer hashes it. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
