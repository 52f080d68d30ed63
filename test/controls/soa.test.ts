/** The Statement of Applicability: template, check, and the CLI that writes and checks it. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNEX_A, checkSoa, parseEvidenceQuery, parseSoa, soaTemplate } from "../../src/index.js";
import { json, logseal, tempDir } from "../cli/cli.js";

const template = () => JSON.parse(JSON.stringify(soaTemplate()));

describe("checkSoa", () => {
  it("accepts the template: every control once, applicable, evidenced by its own id", () => {
    const { soa, problems } = checkSoa(template());
    expect(problems).toEqual([]);
    expect(soa?.controls.map((c) => c.id)).toEqual(ANNEX_A.map((c) => c.id));
    expect(soa?.controls.find((c) => c.id === "A.8.11")?.evidence).toBe("control=A.8.11");
  });

  it("rejects a missing control with the exact reason", () => {
    const t = template();
    t.controls = t.controls.filter((c: { id: string }) => c.id !== "A.5.7");
    expect(checkSoa(t).problems).toEqual([
      {
        code: "E_SOA_INVALID",
        control: "A.5.7",
        field: "controls",
        message:
          "A.5.7 (Threat intelligence) is missing: list every Annex A control once, applicable or excluded with a justification",
      },
    ]);
  });

  it("rejects a duplicate with the exact reason", () => {
    const t = template();
    t.controls.push({ ...t.controls[50] });
    expect(checkSoa(t).problems).toEqual([
      {
        code: "E_SOA_INVALID",
        control: t.controls[50].id,
        field: "controls[93].id",
        message: `${t.controls[50].id} is listed twice, at controls[50] and controls[93]: list it once`,
      },
    ]);
  });

  it("rejects an unjustified exclusion with the exact reason", () => {
    const t = template();
    const i = t.controls.findIndex((c: { id: string }) => c.id === "A.7.4");
    Object.assign(t.controls[i], {
      applicable: false,
      status: "not-applicable",
      justification: "  ",
    });
    expect(checkSoa(t).problems).toEqual([
      {
        code: "E_SOA_INVALID",
        control: "A.7.4",
        field: `controls[${i}].justification`,
        message:
          "A.7.4 is excluded (applicable: false) without a justification: say why it does not apply",
      },
    ]);
    t.controls[i].justification = "no premises of our own";
    expect(checkSoa(t).problems).toEqual([]);
  });

  it("rejects bad evidence queries, statuses and ids, naming control and field", () => {
    const t = template();
    t.controls[0].evidence = "action=Bad.Action";
    t.controls[1].evidence = "color=red";
    t.controls[2].status = "done";
    t.controls[3].applicable = false;
    t.controls[3].justification = "n/a";
    t.controls[4].id = "A.12.4.1";
    const p = checkSoa(t).problems;
    expect(p.map((x) => [x.control, x.field])).toEqual([
      ["A.5.1", "controls[0].evidence"],
      ["A.5.2", "controls[1].evidence"],
      ["A.5.3", "controls[2].status"],
      ["A.5.4", "controls[3].status"],
      ["A.12.4.1", "controls[4].id"],
      ["A.5.5", "controls"],
    ]);
    expect(p[0]?.message).toBe('A.5.1: action: "Bad.Action" is not an action (dataset.read)');
    expect(p[4]?.message).toContain("in ISO/IEC 27001:2022 it is A.8.15 (Logging)");
  });

  it("reads evidence queries as logseal query does", () => {
    expect(parseEvidenceQuery("action=pii.mask  outcome=success")).toEqual({
      action: "pii.mask",
      outcome: "success",
    });
    expect(parseEvidenceQuery("control=A.8.99")).toContain("is not an ISO/IEC 27001:2022");
    expect(parseEvidenceQuery("")).toContain("empty");
    expect(parseEvidenceQuery("action=a.b action=c.d")).toBe("action is given twice");
  });

  it("parseSoa throws the first problem with the file and counts the rest", () => {
    const t = template();
    t.controls.pop();
    t.controls.pop();
    try {
      parseSoa(JSON.stringify(t), "soa.json");
      throw new Error("accepted");
    } catch (e) {
      const x = e as { code: string; location: unknown; message: string };
      expect(x.code).toBe("E_SOA_INVALID");
      expect(x.location).toEqual({ file: "soa.json", field: "controls" });
      expect(x.message).toMatch(
        /^A\.8\.33 .* is missing: .* \(and 1 more problems: run 'logseal soa check'\)$/,
      );
    }
  });
});

describe("logseal soa", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it("init writes a template that check accepts; init refuses to overwrite", async () => {
    const file = join(dir, "soa.json");
    const r = await logseal(["soa", "init", "--out", file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(file, "utf8")).controls).toHaveLength(93);
    const c = await logseal(["soa", "check", file]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe(
      `ok: ${file} lists all 93 Annex A controls once: 93 applicable (0 implemented), 0 excluded with a justification, 93 evidence queries valid\n`,
    );
    const again = await logseal(["soa", "init", "--out", file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists");
    const stdout = await logseal(["soa", "init"]);
    expect(JSON.parse(stdout.stdout)).toEqual(soaTemplate());
  });

  it("check names every problem, exits 2, and --json lists them", async () => {
    const t = template();
    t.controls = t.controls.filter((c: { id: string }) => c.id !== "A.8.1");
    t.controls.push({ ...t.controls[0] });
    Object.assign(t.controls[10], {
      applicable: false,
      status: "not-applicable",
      justification: "",
    });
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify(t, null, 2));
    const r = await logseal(["soa", "check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toEqual([
      `logseal: E_SOA_INVALID: ${file}: field controls[10].justification: A.5.11 is excluded (applicable: false) without a justification: say why it does not apply`,
      `logseal: E_SOA_INVALID: ${file}: field controls[92].id: A.5.1 is listed twice, at controls[0] and controls[92]: list it once`,
      `logseal: E_SOA_INVALID: ${file}: field controls: A.8.1 (User end point devices) is missing: list every Annex A control once, applicable or excluded with a justification`,
      `3 problems in ${file}`,
      "",
    ]);
    const j = await logseal(["soa", "check", file, "--json"]);
    expect(j.code).toBe(2);
    const out = json<{ ok: boolean; problems: Array<{ control: string; field: string }> }>(j);
    expect(out.ok).toBe(false);
    expect(out.problems.map((p) => p.control)).toEqual(["A.5.11", "A.5.1", "A.8.1"]);
  });

  it("check rejects a file that is not JSON, naming the line, and a missing file with exit 3", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, '{\n  "format": "logseal-soa/v1",\n  "controls": [\n}');
    const r = await logseal(["soa", "check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^logseal: E_SOA_INVALID: ${file}:4: the SoA is not valid JSON`),
    );
    const m = await logseal(["soa", "check", join(dir, "nope.json")]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain("E_IO");
  });
});
