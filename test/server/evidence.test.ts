/**
 * `GET /v1/evidence` (and `POST` with an SoA in the body): the report `logseal evidence
 * --format json` prints, over HTTP, with the server's SoA, its period parameters, the md and
 * html forms, and clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkInclusion,
  type EvidenceReport,
  evidenceReport,
  fromBase64,
  LogClient,
  openCheckpoint,
  parseVkey,
  type Soa,
  soaTemplate,
} from "../../src/index.js";
import { ORIGIN, post, startTestServer, type TestServer } from "./server.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 8);

function soa(): Soa {
  const s = soaTemplate();
  for (const c of s.controls) {
    c.evidence = null;
    if (c.id.startsWith("A.7.")) {
      Object.assign(c, { applicable: false, status: "not-applicable", justification: "cloud" });
    }
  }
  for (const [id, q] of [
    ["A.8.11", "control=A.8.11"],
    ["A.5.15", "action=access.denied outcome=denied"],
    ["A.8.12", "control=A.8.12"],
  ] as const) {
    Object.assign(s.controls.find((c) => c.id === id) as object, {
      evidence: q,
      status: "implemented",
      owner: "sec",
    });
  }
  return s;
}

function ev(day: number, action: string, extra: Record<string, unknown> = {}) {
  return {
    ts: T0 + day * DAY,
    actor: { id: "svc-pii" },
    action,
    outcome: action === "access.denied" ? "denied" : "success",
    asset: "dataset:raw/tickets",
    ...extra,
  };
}

let t: TestServer;
let empty: TestServer;

/** The fields that differ between two reports made at different times. */
function stable(r: EvidenceReport): Omit<EvidenceReport, "generatedAt"> {
  const { generatedAt: _, ...rest } = r;
  return rest;
}

beforeAll(async () => {
  t = await startTestServer({ soa: { soa: soa(), source: "soa.json" } });
  empty = await startTestServer();
  const events = [
    ev(0, "pii.mask", { controls: ["A.8.11"] }),
    ev(1, "pii.mask", { controls: ["A.8.11"] }),
    ev(2, "access.denied"),
    ev(3, "pii.mask", { controls: ["A.8.11"] }),
  ];
  expect((await post(t, events)).status).toBe(200);
  expect((await t.request("/v1/checkpoint", { method: "POST", as: t.tokens.admin })).status).toBe(
    200,
  );
  // Appended after the checkpoint: not counted, reported as unsigned.
  expect((await post(t, [ev(4, "pii.mask", { controls: ["A.8.11"] })])).status).toBe(200);
});
afterAll(async () => {
  await t.stop();
  await empty.stop();
});

describe("GET /v1/evidence", () => {
  it("answers the library's report for the server's SoA, and its proofs check", async () => {
    const r = await t.request("/v1/evidence?samples=2", { as: t.tokens.auditor });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const got = (await r.json()) as EvidenceReport;
    const want = await evidenceReport(t.log, {
      soa: soa(),
      soaSource: "soa.json",
      samples: 2,
      now: Date.parse(got.generatedAt),
    });
    expect(stable(got)).toEqual(stable(want));
    expect(got.soa.source).toBe("soa.json");
    expect(got.unsigned).toBe(1);
    const counts = Object.fromEntries(got.controls.map((c) => [c.id, c.count]));
    expect(counts).toEqual({ "A.5.15": 1, "A.8.11": 3, "A.8.12": 0 });
    expect(got.gaps).toEqual(["A.8.12"]);

    // Every sample proves into the signed checkpoint under the log's key.
    const { checkpoint } = openCheckpoint(got.checkpoint.note, [parseVkey(t.log.vkey)], ORIGIN);
    const b = (x: string) => fromBase64(x) as Uint8Array;
    const samples = got.controls.flatMap((c) => c.samples);
    expect(samples.length).toBe(3);
    for (const s of samples) {
      expect(
        checkInclusion(s.index, checkpoint.size, b(s.leafHash), s.proof.map(b), checkpoint.root),
      ).toBe(true);
    }

    // The client gives the same report.
    const viaClient = await new LogClient(t.url, { token: t.tokens.admin }).evidence({
      samples: 2,
    });
    expect(stable(viaClient)).toEqual(stable(got));
  });

  it("takes the period as logseal evidence does: from, to, relative or ISO", async () => {
    const q = (from: string, to: string) =>
      `/v1/evidence?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const r = await t.request(
      q(new Date(T0 + DAY).toISOString(), new Date(T0 + 3 * DAY).toISOString()),
      {
        as: t.tokens.auditor,
      },
    );
    expect(r.status).toBe(200);
    const got = (await r.json()) as EvidenceReport;
    expect(got.period).toEqual({
      from: new Date(T0 + DAY).toISOString(),
      to: new Date(T0 + 3 * DAY).toISOString(),
    });
    expect(Object.fromEntries(got.controls.map((c) => [c.id, c.count]))).toEqual({
      "A.5.15": 1,
      "A.8.11": 1,
      "A.8.12": 0,
    });
    // Relative to the server's clock: the events are in November 2026, long before "now".
    const recent = (await (
      await t.request("/v1/evidence?from=-1h", { as: t.tokens.auditor })
    ).json()) as EvidenceReport;
    expect(recent.summary.events).toBe(0);
  });

  it("renders md and html as the CLI's --format does", async () => {
    const md = await t.request("/v1/evidence?format=md", { as: t.tokens.auditor });
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await md.text()).toContain(
      "| A.8.12 | Data leakage prevention | implemented | **gap** |",
    );
    const html = await t.request("/v1/evidence?format=html", { as: t.tokens.auditor });
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await html.text()).toMatch(/^<!doctype html>/i);
  });

  it.each([
    ["from=yesterday-ish", "from", "cannot read"],
    ["to=2026-13-45", "to", "cannot read"],
    [`from=${new Date(T0 + DAY).toISOString()}&to=2026-11-02`, "to", "the period is empty"],
    [`from=${T0}`, "from", "cannot read"],
    ["from=-1d&to=-2d", "to", "the period is empty"],
    ["samples=abc", "samples", "samples must be"],
    ["samples=1001", "samples", "samples must be"],
    ["format=pdf", "format", "format must be json, md or html"],
    ["soa=x.json", "soa", "unknown parameter"],
    ["from=-1d&from=-2d", "from", "given twice"],
  ])("refuses %s with 400 naming the parameter", async (params, field, message) => {
    const r = await t.request(`/v1/evidence?${params}`, { as: t.tokens.auditor });
    expect(r.status).toBe(400);
    const e = ((await r.json()) as { error: { code: string; field: string; message: string } })
      .error;
    expect(e).toMatchObject({ code: "E_USAGE", field });
    expect(e.message).toContain(message);
  });

  it("answers 404 E_NO_CHECKPOINT before any checkpoint is signed", async () => {
    const r = await empty.request("/v1/evidence", { as: empty.tokens.auditor });
    expect(r.status).toBe(404);
    const e = ((await r.json()) as { error: { code: string; message: string } }).error;
    expect(e.code).toBe("E_NO_CHECKPOINT");
    expect(e.message).toContain("POST /v1/checkpoint");
  });
});

describe("POST /v1/evidence", () => {
  it("reports against the SoA in the body, named by source, as the library does", async () => {
    const mine = soa();
    // This auditor's SoA also excludes A.8.12: no gap then.
    Object.assign(mine.controls.find((c) => c.id === "A.8.12") as object, {
      applicable: false,
      status: "not-applicable",
      justification: "no DLP in scope",
      evidence: null,
    });
    const client = new LogClient(t.url, { token: t.tokens.auditor });
    const got = await client.evidence({
      samples: 1,
      soa: JSON.stringify(mine),
      source: "mine.json",
    });
    const want = await evidenceReport(t.log, {
      soa: mine,
      soaSource: "mine.json",
      samples: 1,
      now: Date.parse(got.generatedAt),
    });
    expect(stable(got)).toEqual(stable(want));
    expect(got.gaps).toEqual([]);
    expect(got.soa.source).toBe("mine.json");
  });

  it("refuses a bad SoA with 400 E_SOA_INVALID naming the field, and a viewer with 403", async () => {
    const bad = soa();
    (bad.controls[0] as { status: string }).status = "sort of";
    const r = await t.request("/v1/evidence?source=bad.json", {
      method: "POST",
      as: t.tokens.auditor,
      body: JSON.stringify(bad),
    });
    expect(r.status).toBe(400);
    const e = ((await r.json()) as { error: { code: string; file?: string; field?: string } })
      .error;
    expect(e.code).toBe("E_SOA_INVALID");
    expect(e.file).toBe("bad.json");
    expect(e.field).toContain("status");
    const viewer = await t.request("/v1/evidence", {
      method: "POST",
      as: t.tokens.viewer,
      body: JSON.stringify(soa()),
    });
    expect(viewer.status).toBe(403);
  });
});
