/**
 * Every screen through ink-testing-library, on a real LevelDB store: the Events list, follow
 * mode, filters, search, goto and marks; the detail with its proof; checkpoints, verify,
 * lineage, controls; help and quitting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSoa, reindex, soaTemplate } from "../../src/index.js";
import { LocalSource } from "../../tui/data/local.js";
import { ev, KEY, makeStore, renderApp, type, waitFor } from "./helpers.js";

let s: Awaited<ReturnType<typeof makeStore>>;
beforeAll(async () => {
  s = await makeStore(1200);
});
afterAll(async () => {
  await s.cleanup();
});

const selectedLine = (f: string) => f.split("\n").find((l) => l.startsWith(">")) ?? "";

/** Waits for the app's first frame, then opens the controls screen (6): its first frame. */
async function openControls(r: ReturnType<typeof renderApp>): Promise<string> {
  await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
  await type(r.stdin, "6");
  return waitFor(r.lastFrame, (f) => f.includes("Annex A, all time"));
}

describe("events screen", () => {
  it("opens at the tail following, detaches on k with +N new, G re-attaches", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log);
    try {
      let f = await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]") && /^> +1199 /m.test(f));
      expect(f).toContain("1,200/1,200");
      // Only the visible rows are built: the frame is at most rows - 1 lines.
      expect(f.split("\n").length).toBeLessThanOrEqual(23);
      await type(r.stdin, "k", "k");
      f = await waitFor(r.lastFrame, (f) => /^> +1197 /m.test(f));
      expect(f).toContain("[PAUSED]");
      await s.log.append([ev(1200), ev(1201), ev(1202)]);
      f = await waitFor(r.lastFrame, (f) => f.includes("+3 new"));
      expect(selectedLine(f)).toMatch(/^> +1197 /);
      await type(r.stdin, "G");
      f = await waitFor(r.lastFrame, (f) => /^> +1202 /m.test(f) && f.includes("[FOLLOW]"));
      // While following, new events scroll in.
      await s.log.append([ev(1203)]);
      await waitFor(r.lastFrame, (f) => /^> +1203 /m.test(f));
      await type(r.stdin, "g");
      await waitFor(r.lastFrame, (f) => /^> +0 /m.test(f));
      await type(r.stdin, KEY.pgdn);
      f = await waitFor(r.lastFrame, (f) => !/^> +0 /m.test(f));
      expect(Number(/^> +(\d+) /m.exec(f)?.[1])).toBeGreaterThan(10);
      await type(r.stdin, "j", KEY.down);
      await type(r.stdin, KEY.pgup, KEY.up);
      await waitFor(r.lastFrame, (f) => /^> +1 /m.test(f));
    } finally {
      r.unmount();
    }
  });

  it("filters in the data layer, with ! to exclude and globs, and says a bad term's error", async () => {
    await reindex(s.log);
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log);
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      await type(r.stdin, "f", ..."actor=alice !outcome=denied", KEY.enter);
      let f = await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: actor=alice !outcome=denied") && !f.includes("filtering"),
      );
      const rows = f.split("\n").filter((l) => /^[> ][ *] *\d+ /.test(l));
      expect(rows.length).toBeGreaterThan(5);
      for (const l of rows) {
        expect(l).toContain("alice");
        expect(l).not.toContain("DENIED");
      }
      // alice is every 3rd of 1204 events (402), denied when n = 3 mod 12 (101).
      expect(f).toMatch(/\d+\/301\b/);
      await type(r.stdin, "f", ..."action=dataset.* control=A.8.15", KEY.enter);
      f = await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: action=dataset.*") && !f.includes("filtering"),
      );
      expect(f).toMatch(/\/301\b/);
      await type(r.stdin, "f", ..."colour=red", KEY.enter);
      await waitFor(r.lastFrame, (f) => f.includes("E_USAGE: unknown filter field"));
      await type(r.stdin, "c");
      await waitFor(r.lastFrame, (f) => !f.includes("filter:") && f.includes("[FOLLOW]"));
    } finally {
      r.unmount();
    }
  });

  it("searches with / and n/N, counting hits; goes to an index, a percentage, a time; marks", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log);
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      await type(r.stdin, ":", ..."100", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +100 /m.test(f));
      await type(r.stdin, "/", ..."needle", KEY.enter);
      let f = await waitFor(r.lastFrame, (f) => /\/needle\/ \d+ hits/.test(f));
      await type(r.stdin, "n");
      f = await waitFor(r.lastFrame, (f) => /^> +107 /m.test(f) && /hit 3 of 24\b/.test(f));
      await type(r.stdin, "n");
      await waitFor(r.lastFrame, (f) => /^> +157 /m.test(f) && f.includes("hit 4 of 24"));
      await type(r.stdin, "N", "N");
      await waitFor(r.lastFrame, (f) => /^> +57 /m.test(f) && f.includes("hit 2 of 24"));
      await type(r.stdin, "m");
      f = await waitFor(r.lastFrame, (f) => f.includes("1 marked"));
      expect(selectedLine(f)).toMatch(/^>\* +57 /);
      await type(r.stdin, ":", ..."50%", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +60[01] /m.test(f));
      await type(r.stdin, "u");
      await waitFor(r.lastFrame, (f) => /^>\* +57 /m.test(f));
      // A time: the first event logged at or after it (every event here has the same `at`
      // or later, so 2000-01-01 is the first).
      await type(r.stdin, ":", ..."2000-01-01", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +0 /m.test(f));
      await type(r.stdin, ":", ..."99999", KEY.enter);
      await waitFor(r.lastFrame, (f) => f.includes("E_INDEX_RANGE"));
      await type(r.stdin, "/", ..."(", KEY.enter);
      await waitFor(r.lastFrame, (f) => f.includes("not a regular expression"));
    } finally {
      r.unmount();
    }
  });
  it("runs a held key's chunk key by key, a prompt key with its text, and ignores a paste", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log);
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      const tail = Number(/^> +(\d+) /m.exec(r.lastFrame() ?? "")?.[1]);
      r.stdin.write("kkkk");
      await waitFor(r.lastFrame, (f) => new RegExp(`^> +${tail - 4} `, "m").test(f));
      // A paste in normal mode: none of its letters runs (m would mark, G would follow).
      r.stdin.write("m G actor=alice");
      await type(r.stdin, "j");
      const f = await waitFor(r.lastFrame, (f) => new RegExp(`^> +${tail - 3} `, "m").test(f));
      expect(f).toContain("[PAUSED]");
      expect(f).not.toContain("marked");
      r.stdin.write(":12\r");
      await waitFor(r.lastFrame, (f) => /^> +12 /m.test(f));
    } finally {
      r.unmount();
    }
  });
});

describe("other screens", () => {
  it("detail shows every field and the proof verified; Esc goes back", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 40, columns: 120 });
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      await type(r.stdin, ":", ..."5", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +5 /m.test(f));
      await type(r.stdin, KEY.enter);
      const f = await waitFor(r.lastFrame, (f) => f.includes("✔ verified"));
      expect(f).toContain("logseal ❭ event 5");
      expect(f).toContain("dataset:clean/d5");
      expect(f).toContain("inputs     dataset:raw/d5");
      expect(f).toContain("included in checkpoint of size 1200");
      expect(f).toContain('"id": "ev-5"');
      await type(r.stdin, KEY.esc);
      await waitFor(r.lastFrame, (f) => f.includes("logseal ❭ events"));
    } finally {
      r.unmount();
    }
  });

  it("checkpoints, verify, controls, lineage and help switch by number", async () => {
    await s.log.checkpoint();
    await reindex(s.log);
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 30, columns: 120 });
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      await type(r.stdin, "3");
      let f = await waitFor(r.lastFrame, (f) => f.includes("✔ consistent"));
      expect(f).toMatch(/1200 +\S+… /);
      expect(f).toContain("(first)");
      await type(r.stdin, "4");
      f = await waitFor(r.lastFrame, (f) => f.includes("✔ OK"));
      expect(f).toContain("100%");
      expect(f).toContain("failures: 0");
      await type(r.stdin, "6");
      f = await waitFor(r.lastFrame, (f) => f.includes("Annex A, all time"));
      expect(f).toMatch(/A\.5\.1 +0 ✖ gap/);
      await type(r.stdin, "?");
      f = await waitFor(r.lastFrame, (f) => f.includes("keys: controls"));
      expect(f).toContain("period: all, 30d, 7d, 24h");
      await type(r.stdin, KEY.esc);
      await waitFor(r.lastFrame, (f) => f.includes("Annex A, all time"));
      await type(r.stdin, "1", ":", ..."5", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +5 /m.test(f));
      await type(r.stdin, "5");
      f = await waitFor(r.lastFrame, (f) => /lineage of dataset:clean\/d5 .* edges/.test(f));
      expect(f).toContain("dataset:raw/d5");
      expect(f).toMatch(/dataset\.transform by svc-ingest \(#5\)/);
      await type(r.stdin, "j", "j", KEY.enter);
      await waitFor(r.lastFrame, (f) => f.includes("logseal ❭ event 5"));
      await type(r.stdin, "q");
      await waitFor(r.lastFrame, (f) => f.includes("logseal ❭ lineage"));
      expect(r.quits()).toBe(0);
    } finally {
      r.unmount();
    }
  });

  it("controls: Enter opens Events filtered to the control; q at the root quits; Ctrl-C always", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 30, columns: 120 });
    try {
      await openControls(r);
      // The organizational theme (header + 37), people (1 + 8), physical (1 + 14), then
      // technological: A.8.1, A.8.2, A.8.3.
      for (let i = 0; i < 38 + 9 + 15 + 3; i++) await type(r.stdin, "j");
      const f = await waitFor(r.lastFrame, (f) => /^> +A\.8\.3 /m.test(f));
      expect(f).toMatch(/^> +A\.8\.3 +30[01] /m);
      await type(r.stdin, KEY.enter);
      await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: control=A.8.3") && /\/30[01]\b/.test(f),
      );
      await type(r.stdin, KEY.ctrlC);
      await waitFor(
        () => String(r.quits()),
        (q) => q === "1",
      );
    } finally {
      r.unmount();
    }
  });

  it("a held key's chunk moves a list screen's selection once for every key", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 30, columns: 120 });
    try {
      await openControls(r);
      // Four keys in one chunk, run before React renders again: each moves from where the
      // one before left the selection (the organizational header, then A.5.1 … A.5.4).
      r.stdin.write("jjjj");
      await waitFor(r.lastFrame, (f) => /^> +A\.5\.4 /m.test(f));
      r.stdin.write("kk");
      await waitFor(r.lastFrame, (f) => /^> +A\.5\.2 /m.test(f));
      // The detail screen scrolls likewise: four keys in one chunk as four keys one by one.
      await type(r.stdin, "1", ":", ..."5", KEY.enter);
      await waitFor(r.lastFrame, (f) => /^> +5 /m.test(f));
      await type(r.stdin, KEY.enter);
      const start = await waitFor(r.lastFrame, (f) => f.includes("✔ verified"));
      let one = start;
      for (let i = 0; i < 4; i++) {
        const before = one;
        await type(r.stdin, "j");
        one = await waitFor(r.lastFrame, (f) => f !== before);
      }
      await type(r.stdin, "g");
      await waitFor(r.lastFrame, (f) => f === start);
      r.stdin.write("jjjj");
      await waitFor(r.lastFrame, (f) => f === one);
    } finally {
      r.unmount();
    }
  });

  it("controls with an SoA: applicability and status per control, gaps only where applicable, exclusions in words", async () => {
    const t = soaTemplate();
    const set = (id: string, v: Record<string, unknown>) => {
      const i = t.controls.findIndex((c) => c.id === id);
      t.controls[i] = { ...(t.controls[i] as (typeof t.controls)[number]), ...v };
    };
    set("A.5.1", { applicable: false, status: "not-applicable", justification: "no policy" });
    set("A.5.2", { status: "implemented", evidence: null });
    set("A.5.3", { status: "planned" });
    set("A.8.3", { status: "implemented" });
    // Evidence by an SoA query that is not the control's own id: counted by that query.
    set("A.8.11", { status: "partially-implemented", evidence: "action=model.train" });
    // As `logseal tui --soa FILE` reads it: the file's text through the SoA parser.
    const soa = parseSoa(JSON.stringify(t), "soa.json");
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 30, columns: 120 }, soa);
    try {
      let f = await openControls(r);
      expect(f).toContain("SoA: 92 applicable, 1 excluded");
      // Excluded: said in words, never a gap; its theme counts it apart.
      expect(f).toMatch(/^ +A\.5\.1 +- +excluded +Policies/m);
      expect(f).toContain(
        "organizational (0 of 36 applicable with evidence in the log, 1 excluded)",
      );
      // Evidenced outside the log: no count, no gap.
      expect(f).toMatch(/^ +A\.5\.2 +outside +impl +Information security roles/m);
      // Applicable, planned, no evidence: a gap.
      expect(f).toMatch(/^ +A\.5\.3 +0 ✖ gap +planned +Segregation/m);
      for (let i = 0; i < 38 + 9 + 15 + 3; i++) await type(r.stdin, "j");
      f = await waitFor(r.lastFrame, (f) => /^> +A\.8\.3 /m.test(f));
      expect(f).toMatch(/^> +A\.8\.3 +30[01] +impl +/m);
      // A.8.11 counts the events of its SoA query (model.train: n % 4 == 2), not its own id.
      for (let i = 0; i < 8; i++) await type(r.stdin, "j");
      f = await waitFor(r.lastFrame, (f) => /^> +A\.8\.11 /m.test(f));
      expect(f).toMatch(/^> +A\.8\.11 +30[01] +partial +/m);
      await type(r.stdin, KEY.enter);
      await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: action=model.train") && /\/30[01]\b/.test(f),
      );
    } finally {
      r.unmount();
    }
  });
});
