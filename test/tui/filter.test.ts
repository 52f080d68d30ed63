/** The filter language: terms, globs, exclusion, time windows, and clear errors. */
import { describe, expect, it } from "vitest";
import { type Event, LogsealError } from "../../src/index.js";
import { indexable, parseFilter, predicate } from "../../tui/data/filter.js";

const e = (over: Partial<Event> = {}): Event => ({
  v: 1,
  ts: Date.UTC(2026, 10, 20),
  at: Date.UTC(2026, 10, 20),
  actor: { id: "alice" },
  action: "dataset.read",
  outcome: "success",
  asset: "dataset:raw/a",
  controls: ["A.8.11"],
  ...over,
});

describe("filter", () => {
  it("keeps events matching every term; ! and != exclude; * globs", () => {
    const f = parseFilter("actor=alice action=dataset.* !outcome=denied control=A.8.11");
    const test = predicate(f);
    expect(test(e())).toBe(true);
    expect(test(e({ outcome: "denied" }))).toBe(false);
    expect(test(e({ action: "model.train" }))).toBe(false);
    expect(test(e({ actor: { id: "bob" } }))).toBe(false);
    expect(test(e({ controls: ["A.8.3"] }))).toBe(false);
    expect(predicate(parseFilter("actor!=alice"))(e())).toBe(false);
    // asset matches the asset, an input or an output (as the index does).
    expect(
      predicate(parseFilter("asset=dataset:x"))(e({ asset: undefined, inputs: ["dataset:x"] })),
    ).toBe(true);
    expect(indexable(f as NonNullable<typeof f>)).toEqual({ actor: "alice", control: "A.8.11" });
  });

  it("reads time windows as ISO 8601 or relative to now", () => {
    const now = Date.UTC(2026, 10, 26);
    const f = parseFilter("since=2026-11-19 until=-1d", now);
    expect(f).toMatchObject({ since: Date.UTC(2026, 10, 19), until: now - 86_400_000 });
    expect(predicate(f)(e())).toBe(true);
    expect(predicate(f)(e({ ts: Date.UTC(2026, 10, 18) }))).toBe(false);
    expect(predicate(f)(e({ ts: now }))).toBe(false);
  });

  it("says what is wrong with a bad term, naming it", () => {
    expect(parseFilter("   ")).toBeUndefined();
    for (const [text, msg] of [
      ["colour=red", /unknown filter field "colour"/],
      ["alice", /is not FIELD=VALUE/],
      ["since=yesterday", /cannot read "yesterday" as a time/],
      ["!since=-1h", /cannot be excluded/],
    ] as const) {
      let err: unknown;
      try {
        parseFilter(text);
      } catch (x) {
        err = x;
      }
      expect(err, text).toBeInstanceOf(LogsealError);
      expect((err as LogsealError).code).toBe("E_USAGE");
      expect((err as LogsealError).message).toMatch(msg);
    }
  });
});
