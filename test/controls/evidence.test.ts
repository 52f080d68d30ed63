/**
 * Evidence reports on a real store with known events: counts, first and last, gaps,
 * exclusions, samples whose proofs check against the signed root, the same answer from the
 * indexes and from a scan, and the HTML page parsed by a real HTML parser.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DefaultTreeAdapterMap, parse } from "parse5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkInclusion,
  type EvidenceReport,
  evidenceReport,
  evidenceToHtml,
  evidenceToMarkdown,
  fromBase64,
  type Log,
  leafHash,
  open,
  parseCheckpoint,
  parseNote,
  reindex,
  type Soa,
  soaTemplate,
} from "../../src/index.js";
import { json, logseal } from "../cli/cli.js";
import { ev, newLog } from "./helpers.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 8);

/** The SoA of the scenario: physical controls excluded, six controls evidenced by queries. */
function scenarioSoa(): Soa {
  const soa = soaTemplate();
  for (const c of soa.controls) {
    c.evidence = null;
    if (c.id.startsWith("A.7.")) {
      Object.assign(c, {
        applicable: false,
        status: "not-applicable",
        justification: "cloud only",
      });
    }
  }
  const set = (id: string, evidence: string) => {
    const c = soa.controls.find((x) => x.id === id);
    if (c === undefined) throw new Error(id);
    Object.assign(c, { evidence, status: "implemented", owner: "sec" });
  };
  set("A.8.11", "control=A.8.11");
  set("A.8.10", "control=A.8.10");
  set("A.5.34", "control=A.5.34");
  set("A.8.3", "control=A.8.3");
  set("A.5.15", "action=access.denied outcome=denied");
  set("A.8.12", "control=A.8.12");
  return soa;
}

/** 7 signed entries with known controls, then 2 more that no checkpoint covers. */
async function scenario(log: Log): Promise<void> {
  await log.append([
    ev(T0 + 1 * 3_600_000, "pii.mask", { controls: ["A.8.11"] }),
    ev(T0 + 2 * 3_600_000, "pii.mask", { controls: ["A.8.11"] }),
    ev(T0 + 3 * 3_600_000, "pii.mask", { controls: ["A.8.11"] }),
    ev(T0 + DAY, "data.erase", { controls: ["A.8.10", "A.5.34"] }),
    ev(T0 + DAY + 60_000, "data.erase", { controls: ["A.8.10", "A.5.34"] }),
    ev(T0 + 2 * DAY, "access.denied", { controls: ["A.8.3"] }),
    ev(T0 + 2 * DAY + 1, "dataset.read"),
  ]);
  await log.checkpoint();
  await log.append([
    ev(T0 + 3 * DAY, "pii.mask", { controls: ["A.8.11"] }),
    ev(T0 + 3 * DAY + 1, "pii.mask", { controls: ["A.8.11"] }),
  ]);
}

const counts = (r: EvidenceReport) => Object.fromEntries(r.controls.map((c) => [c.id, c.count]));

describe("evidence report", () => {
  let log: Log;
  let store: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ log, store, dir, cleanup } = await newLog());
    await scenario(log);
  });
  afterAll(() => cleanup());

  it("counts signed events per applicable control, lists gaps and exclusions", async () => {
    const r = await evidenceReport(log, {
      soa: scenarioSoa(),
      soaSource: "soa.json",
      now: T0 + 10 * DAY,
    });
    // Every append indexes (the lineage contributor), so the indexes answer.
    expect(r.method).toBe("index");
    expect(counts(r)).toEqual({
      "A.5.15": 1,
      "A.5.34": 2,
      "A.8.3": 1,
      "A.8.10": 2,
      "A.8.11": 3,
      "A.8.12": 0,
    });
    expect(r.gaps).toEqual(["A.8.12"]);
    expect(r.excluded.map((c) => c.id)).toEqual(
      Array.from({ length: 14 }, (_, i) => `A.7.${i + 1}`),
    );
    expect(r.excluded[0]?.justification).toBe("cloud only");
    expect(r.unsigned).toBe(2);
    expect(r.checkpoint.size).toBe(7);
    expect(r.vkey).toBe(log.vkey);
    expect(r.summary).toEqual({
      controls: 93,
      applicable: 79,
      evidenced: 5,
      gaps: 1,
      outside: 73,
      excluded: 14,
      events: 6,
    });
    const a811 = r.controls.find((c) => c.id === "A.8.11");
    expect(a811?.first).toEqual({ index: 0, ts: new Date(T0 + 3_600_000).toISOString() });
    expect(a811?.last).toEqual({ index: 2, ts: new Date(T0 + 3 * 3_600_000).toISOString() });
  });

  it("gives every sample an inclusion proof that checks against the signed root", async () => {
    const r = await evidenceReport(log, { soa: scenarioSoa(), samples: 2 });
    const root = parseCheckpoint(parseNote(r.checkpoint.note).text).root;
    expect(r.checkpoint.root).toBe(Buffer.from(root).toString("base64"));
    const a811 = r.controls.find((c) => c.id === "A.8.11");
    expect(a811?.samples.map((s) => s.index)).toEqual([0, 2]);
    let checked = 0;
    for (const c of r.controls) {
      for (const s of c.samples) {
        const { leaf } = await log.get(s.index);
        expect(s.leafHash).toBe(Buffer.from(leafHash(leaf)).toString("base64"));
        const proof = s.proof.map((h) => fromBase64(h) as Uint8Array);
        expect(checkInclusion(s.index, 7, leafHash(leaf), proof, root)).toBe(true);
        // A proof for another entry does not check.
        expect(checkInclusion((s.index + 1) % 7, 7, leafHash(leaf), proof, root)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(2 + 2 + 2 + 1 + 1);
  });

  it("restricts to the period on the events' own time", async () => {
    const r = await evidenceReport(log, {
      soa: scenarioSoa(),
      from: new Date(T0 + DAY).toISOString(),
      to: new Date(T0 + 2 * DAY).toISOString(),
    });
    expect(counts(r)).toEqual({
      "A.5.15": 0,
      "A.5.34": 2,
      "A.8.3": 0,
      "A.8.10": 2,
      "A.8.11": 0,
      "A.8.12": 0,
    });
    expect(r.gaps).toEqual(["A.5.15", "A.8.3", "A.8.11", "A.8.12"]);
    expect(r.period).toEqual({
      from: new Date(T0 + DAY).toISOString(),
      to: new Date(T0 + 2 * DAY).toISOString(),
    });
  });

  it("gives the same answer from the query indexes as from a scan", async () => {
    const scanned = await evidenceReport(log, { soa: scenarioSoa(), now: 1, method: "scan" });
    expect(scanned.method).toBe("scan");
    await reindex(log);
    const indexed = await evidenceReport(log, { soa: scenarioSoa(), now: 1 });
    expect(indexed.method).toBe("index");
    expect({ ...indexed, method: "scan" }).toEqual(scanned);
    const window = { from: T0 + DAY, to: T0 + 2 * DAY + 1 };
    const a = await evidenceReport(log, { soa: scenarioSoa(), ...window, now: 1 });
    expect(counts(a)).toEqual({
      "A.5.15": 1,
      "A.5.34": 2,
      "A.8.3": 1,
      "A.8.10": 2,
      "A.8.11": 0,
      "A.8.12": 0,
    });
  });

  it("draws a self-contained HTML page: no scripts, nothing to load, a row per control", async () => {
    const r = await evidenceReport(log, { soa: scenarioSoa(), soaSource: "<soa & co>.json" });
    const html = evidenceToHtml(r);
    const doc = parse(html);
    type Node = DefaultTreeAdapterMap["node"];
    type Element = DefaultTreeAdapterMap["element"];
    const all: Element[] = [];
    const walk = (n: Node) => {
      if ("tagName" in n) all.push(n as Element);
      if ("childNodes" in n) for (const c of n.childNodes) walk(c);
      if ("content" in n && n.content) walk(n.content as Node);
    };
    walk(doc);
    const attr = (e: Element, name: string) => e.attrs.find((a) => a.name === name)?.value;
    const text = (n: Node): string =>
      "value" in n && n.nodeName === "#text"
        ? (n as { value: string }).value
        : "childNodes" in n
          ? n.childNodes.map(text).join("")
          : "";
    expect(all.filter((e) => e.tagName === "script")).toEqual([]);
    expect(
      all.filter((e) => ["link", "img", "iframe", "object", "embed"].includes(e.tagName)),
    ).toEqual([]);
    for (const e of all) {
      expect(attr(e, "src"), e.tagName).toBeUndefined();
      for (const a of e.attrs) expect(a.name.startsWith("on"), a.name).toBe(false);
      const href = attr(e, "href");
      if (href !== undefined) expect(href.startsWith("#")).toBe(true);
    }
    const csp = all.find((e) => attr(e, "http-equiv") === "Content-Security-Policy");
    expect(attr(csp as Element, "content")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const table = all.find((e) => attr(e, "id") === "evidence") as Element;
    const rows: Element[] = [];
    const collect = (n: Node) => {
      if ("tagName" in n && (n as Element).tagName === "tr" && attr(n as Element, "data-control"))
        rows.push(n as Element);
      if ("childNodes" in n) for (const c of n.childNodes) collect(c);
    };
    collect(table);
    expect(rows.map((e) => attr(e, "data-control"))).toEqual([
      "A.5.15",
      "A.5.34",
      "A.8.3",
      "A.8.10",
      "A.8.11",
      "A.8.12",
    ]);
    expect(
      rows.filter((e) => attr(e, "class") === "gap").map((e) => attr(e, "data-control")),
    ).toEqual(["A.8.12"]);
    const cells = (e: Element) => e.childNodes.filter((c) => "tagName" in c).map(text);
    expect(cells(rows[4] as Element).slice(0, 5)).toEqual([
      "A.8.11",
      "Data masking",
      "implemented",
      "sec",
      "3",
    ]);
    // Text is escaped, not markup.
    expect(text(doc)).toContain("<soa & co>.json");
    const checkpoint = all.find((e) => attr(e, "id") === "checkpoint") as Element;
    expect(text(checkpoint)).toBe(r.checkpoint.note);
    const md = evidenceToMarkdown(r);
    expect(md).toContain("| A.8.12 | Data leakage prevention | implemented | **gap** |");
  });

  it("through the CLI: json, md and html, and clear errors", async () => {
    await log.close();
    try {
      const soaFile = join(dir, "soa.json");
      await writeFile(soaFile, JSON.stringify(scenarioSoa(), null, 2));
      const j = await logseal(["evidence", "--store", store, "--soa", soaFile, "--format", "json"]);
      expect(j.code, j.stderr).toBe(0);
      const r = json<EvidenceReport>(j);
      expect(counts(r)).toEqual({
        "A.5.15": 1,
        "A.5.34": 2,
        "A.8.3": 1,
        "A.8.10": 2,
        "A.8.11": 3,
        "A.8.12": 0,
      });
      expect(r.soa.source).toBe(soaFile);
      const html = join(dir, "report.html");
      const h = await logseal([
        "evidence",
        "--store",
        store,
        "--soa",
        soaFile,
        "--format",
        "html",
        "--out",
        html,
        "--from",
        new Date(T0 + DAY).toISOString(),
      ]);
      expect(h.code, h.stderr).toBe(0);
      expect(h.stderr).toBe(
        `wrote ${html}: 79 applicable controls, 4 evidenced, 2 gaps, 14 excluded; checkpoint size 7\n`,
      );
      expect(await readFile(html, "utf8")).toMatch(/^<!DOCTYPE html>/);
      const md = await logseal(["evidence", "--store", store]);
      expect(md.code).toBe(0);
      expect(md.stdout).toContain(
        "**93 applicable controls: 4 evidenced, 89 gaps, 0 evidenced outside the log; 0 excluded; 6 events.**",
      );
      const badFormat = await logseal(["evidence", "--store", store, "--format", "pdf"]);
      expect(badFormat.code).toBe(2);
      expect(badFormat.stderr).toContain(
        "E_USAGE: field --format: --format must be one of md, json, html",
      );
      const soa = scenarioSoa();
      (
        soa.controls[3] as { justification: string; applicable: boolean; status: string }
      ).applicable = false;
      (soa.controls[3] as { status: string }).status = "not-applicable";
      (soa.controls[3] as { justification: string }).justification = "";
      await writeFile(soaFile, JSON.stringify(soa));
      const badSoa = await logseal(["evidence", "--store", store, "--soa", soaFile]);
      expect(badSoa.code).toBe(2);
      expect(badSoa.stderr).toContain(
        `E_SOA_INVALID: ${soaFile}: field controls[3].justification: A.5.4 is excluded`,
      );
    } finally {
      log = await open(store); // for afterAll, which closes it
    }
  });

  it("refuses a log without a checkpoint", async () => {
    const fresh = await newLog();
    try {
      await fresh.log.append([ev(1, "pii.mask")]);
      await expect(evidenceReport(fresh.log)).rejects.toMatchObject({ code: "E_NO_CHECKPOINT" });
    } finally {
      await fresh.cleanup();
    }
  });
});
