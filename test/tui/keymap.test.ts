/** The keymap and the list reducer as plain data and functions: no Ink. */
import { describe, expect, it } from "vitest";
import { GLOBAL, helpLines, KEYMAP, keyName, resolve, SCREENS } from "../../tui/keymap.js";
import { initialList, listReducer, nextIn, rank } from "../../tui/list.js";

describe("keymap", () => {
  it("names keys as Ink 6 reports them (Esc flagged meta, Backspace as delete)", () => {
    expect(keyName("", { escape: true, meta: true })).toBe("esc");
    expect(keyName("", { delete: true })).toBe("backspace");
    expect(keyName("", { backspace: true })).toBe("backspace");
    expect(keyName("c", { ctrl: true })).toBe("ctrl-c");
    expect(keyName("", { pageDown: true })).toBe("pagedown");
    expect(keyName("", { tab: true, shift: true })).toBe("shift-tab");
    expect(keyName(" ", {})).toBe("space");
    expect(keyName("G", { shift: true })).toBe("G");
    // A paste is not a key.
    expect(keyName("actor=alice", {})).toBeUndefined();
  });

  it("resolves a screen's keys before the global ones; q and Ctrl-C quit; digits switch", () => {
    expect(resolve("events", "j")).toEqual({ type: "move", by: 1 });
    expect(resolve("events", "G")).toEqual({ type: "bottom" });
    expect(resolve("events", "f")).toEqual({ type: "prompt", kind: "filter" });
    expect(resolve("verify", "x")).toEqual({ type: "cancel" });
    expect(resolve("events", "x")).toBeUndefined();
    expect(resolve("lineage", "q")).toEqual({ type: "quit" });
    expect(resolve("detail", "ctrl-c")).toEqual({ type: "quit" });
    for (const [i, s] of SCREENS.entries()) {
      expect(resolve("events", String(i + 1))).toEqual({ type: "screen", screen: s });
    }
  });

  it("binds no key twice on a screen, and the help lists exactly the bindings", () => {
    for (const screen of SCREENS) {
      const keys = [...KEYMAP[screen], ...GLOBAL].flatMap((b) => b.keys);
      expect(new Set(keys).size, screen).toBe(keys.length);
      const help = helpLines(screen);
      expect(help.length).toBe(KEYMAP[screen].length + GLOBAL.length);
      for (const b of [...KEYMAP[screen], ...GLOBAL]) {
        expect(help).toContainEqual({ keys: b.keys.join(" "), help: b.help });
        // Every key of the help resolves to that binding's action on the screen.
        for (const k of b.keys) expect(resolve(screen, k)).toEqual(b.action);
      }
    }
  });
});

describe("list reducer", () => {
  const rows = 10;
  it("opens at the tail following; growth scrolls in while following", () => {
    let s = initialList(100, rows);
    expect(s).toMatchObject({ selected: 99, top: 90, follow: true, fresh: 0 });
    s = listReducer(s, { type: "total", total: 105 }, rows);
    expect(s).toMatchObject({ selected: 104, top: 95, follow: true });
  });

  it("detaches on a move up, counts new entries, and G or F re-attaches", () => {
    let s = listReducer(initialList(100, rows), { type: "move", by: -1 }, rows);
    expect(s).toMatchObject({ selected: 98, follow: false });
    s = listReducer(s, { type: "total", total: 103 }, rows);
    expect(s).toMatchObject({ selected: 98, fresh: 3, total: 103 });
    s = listReducer(s, { type: "bottom" }, rows);
    expect(s).toMatchObject({ selected: 102, follow: true, fresh: 0 });
    s = listReducer(s, { type: "follow" }, rows);
    expect(s.follow).toBe(false);
    s = listReducer(s, { type: "follow" }, rows);
    expect(s.follow).toBe(true);
  });

  it("pages, clamps at both ends and keeps the selection in the window", () => {
    let s = initialList(100, rows, false);
    expect(s).toMatchObject({ selected: 0, top: 0, follow: false });
    s = listReducer(s, { type: "page", by: 1 }, rows);
    expect(s).toMatchObject({ selected: 9, top: 0 });
    s = listReducer(s, { type: "page", by: 1 }, rows);
    expect(s).toMatchObject({ selected: 18, top: 9 });
    s = listReducer(s, { type: "move", by: -1000 }, rows);
    expect(s).toMatchObject({ selected: 0, top: 0 });
    s = listReducer(s, { type: "to", pos: 5000 }, rows);
    expect(s).toMatchObject({ selected: 99, top: 90, follow: false });
    s = listReducer(s, { type: "resize" }, 20);
    expect(s.top).toBe(80);
    expect(listReducer(initialList(0, rows), { type: "move", by: 1 }, rows)).toMatchObject({
      selected: 0,
      top: 0,
    });
  });

  it("finds the next and previous hit, wrapping, and a hit's rank", () => {
    const hits = [3, 7, 20];
    expect(nextIn(hits, 3, 7, 1)).toBe(20);
    expect(nextIn(hits, 3, 20, 1)).toBe(3);
    expect(nextIn(hits, 3, 7, -1)).toBe(3);
    expect(nextIn(hits, 3, 3, -1)).toBe(20);
    expect(nextIn(hits, 3, 10, -1)).toBe(7);
    expect(nextIn([], 0, 1, 1)).toBeUndefined();
    expect(rank(hits, 3, 7)).toBe(2);
    expect(rank(hits, 3, 0)).toBe(0);
  });
});
