/** A scrolled block of text lines (detail, checkpoints, help): only the window is built. */
import { Box, type DOMElement, Text } from "ink";
import { useRef } from "react";
import { useFixedLines } from "../fixed-lines.js";

export interface Line {
  text: string;
  bold?: boolean;
  bad?: boolean;
  good?: boolean;
  selected?: boolean;
}

export function Lines({
  lines,
  top,
  rows,
  columns,
  color,
}: {
  lines: readonly Line[];
  top: number;
  rows: number;
  columns: number;
  color: boolean;
}) {
  const shown = lines.slice(top, top + rows);
  const box = useRef<DOMElement>(null);
  useFixedLines(box, columns);
  return (
    <Box flexDirection="column" ref={box}>
      {shown.map((l, slot) => (
        <Text
          // Slot keys: scrolling changes props instead of mounting rows.
          // biome-ignore lint/suspicious/noArrayIndexKey: the slot is the identity here
          key={slot}
          bold={l.bold ?? false}
          inverse={l.selected ?? false}
          color={color && !l.selected ? (l.bad ? "red" : l.good ? "green" : undefined) : undefined}
        >
          {`${l.selected ? ">" : " "}${l.text}`.slice(0, columns)}
        </Text>
      ))}
    </Box>
  );
}

/** Scrolls `top` by an action over `total` lines in `rows`. */
export function scrollBy(
  top: number,
  total: number,
  rows: number,
  a: { type: string; by?: number },
): number {
  const max = Math.max(0, total - rows);
  switch (a.type) {
    case "move":
      return Math.max(0, Math.min(max, top + (a.by ?? 0)));
    case "page":
      return Math.max(0, Math.min(max, top + (a.by ?? 0) * Math.max(1, rows - 1)));
    case "top":
      return 0;
    case "bottom":
      return max;
    default:
      return top;
  }
}

/** Moves a selection over `total` items, returning the new selection and top. */
/**
 * Moves a selection held in React state by `a`, from the state as it is when React applies the
 * update: two keys handled before the next render (a held key arrives as one chunk, `jjjj`, run
 * key by key) each move it. Returns false when `a` is not a move.
 */
export function moveSelection(
  set: (update: (cur: { sel: number; top: number }) => { sel: number; top: number }) => void,
  total: number,
  rows: number,
  a: { type: string; by?: number },
): boolean {
  if (selectBy(0, 0, total, rows, a) === undefined) return false;
  set((cur) => selectBy(cur.sel, cur.top, total, rows, a) ?? cur);
  return true;
}

export function selectBy(
  sel: number,
  top: number,
  total: number,
  rows: number,
  a: { type: string; by?: number },
): { sel: number; top: number } | undefined {
  let s = sel;
  if (a.type === "move") s += a.by ?? 0;
  else if (a.type === "page") s += (a.by ?? 0) * Math.max(1, rows - 1);
  else if (a.type === "top") s = 0;
  else if (a.type === "bottom") s = total - 1;
  else return undefined;
  s = Math.max(0, Math.min(total - 1, s));
  let t = top;
  if (s < t) t = s;
  if (s >= t + rows) t = s - rows + 1;
  return { sel: s, top: Math.max(0, t) };
}
