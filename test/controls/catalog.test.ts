/** The Annex A catalog against the shared source it was copied from. */
import { describe, expect, it } from "vitest";
import { ANNEX_A, control, THEMES } from "../../src/index.js";

describe("Annex A catalog", () => {
  it("has the 93 controls of ISO/IEC 27001:2022, 37/8/14/34 by theme, ids unique", () => {
    expect(ANNEX_A).toHaveLength(93);
    const counts = THEMES.map((t) => ANNEX_A.filter((c) => c.theme === t).length);
    expect(counts).toEqual([37, 8, 14, 34]);
    expect(new Set(ANNEX_A.map((c) => c.id)).size).toBe(93);
    for (const c of ANNEX_A) expect(c.id).toMatch(/^A\.[5-8]\.[1-9][0-9]?$/);
  });

  it("looks controls up by id", () => {
    expect(control("A.8.11")?.title).toBe("Data masking");
    expect(control("A.5.23")?.theme).toBe("organizational");
    expect(control("A.8.35")).toBeUndefined();
    expect(control("8.11")).toBeUndefined();
  });
});
