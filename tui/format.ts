/** Text helpers: times, columns, glyphs. Every state is a word or a glyph, never a colour alone. */
import type { Event } from "../src/index.js";

/** `2026-11-26 09:12:03` in UTC (the log's times are UTC; the header says so). */
export function time(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "?" : d.toISOString().slice(0, 19).replace("T", " ");
}

/** Cuts `s` to `w` columns (an ellipsis marks the cut) and pads it to `w` when `pad`. */
export function clip(s: string, w: number, pad = true): string {
  if (w <= 0) return "";
  const t = s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s;
  return pad ? t.padEnd(w) : t;
}

export function outcomeWord(o: string): string {
  return o === "success" ? "ok" : o === "failure" ? "FAIL" : o === "denied" ? "DENIED" : o;
}

/** The column layout of the Events list for a width. */
export function columns(width: number, indexDigits: number) {
  const idx = Math.max(5, indexDigits);
  const fixed = 2 + idx + 1 + 19 + 1 + 7; // marker, index, time, outcome
  const rest = Math.max(20, width - fixed - 4);
  const actor = Math.max(8, Math.floor(rest * 0.2));
  const action = Math.max(10, Math.floor(rest * 0.25));
  const asset = Math.max(8, Math.floor(rest * 0.35));
  const controls = Math.max(0, rest - actor - action - asset);
  return { idx, actor, action, asset, controls };
}

export type Columns = ReturnType<typeof columns>;

export function header(c: Columns): string {
  return `  ${"#".padStart(c.idx)} ${"time (UTC)".padEnd(19)} ${clip("actor", c.actor)} ${clip("action", c.action)} ${clip("asset", c.asset)} ${"outcome".padEnd(7)} ${clip("controls", c.controls, false)}`.trimEnd();
}

/** One row, pre-cut to the width and not padded at the end (Ink's cost grows with characters). */
export function row(
  index: number,
  e: Event,
  c: Columns,
  marked: boolean,
  selected: boolean,
): string {
  const lead = `${selected ? ">" : " "}${marked ? "*" : " "}`;
  const asset = e.asset ?? e.outputs?.[0] ?? e.inputs?.[0] ?? "";
  return `${lead}${String(index).padStart(c.idx)} ${time(e.ts)} ${clip(e.actor.id, c.actor)} ${clip(e.action, c.action)} ${clip(asset, c.asset)} ${outcomeWord(e.outcome).padEnd(7)} ${clip((e.controls ?? []).join(","), c.controls, false)}`.trimEnd();
}

export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${"-".repeat(width - n)}]`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}
