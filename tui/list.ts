/**
 * The state of a windowed list, and its reducer: which position is selected, which is the top
 * row drawn, and whether it follows the tail. Pure: no Ink, no data. Only `rows` positions
 * from `top` are ever built.
 */

export interface ListState {
  /** Positions in the list (entries, or hits of a filter). */
  total: number;
  selected: number;
  top: number;
  /** At the tail: new entries scroll in. */
  follow: boolean;
  /** Entries that arrived while detached. */
  fresh: number;
}

export type ListAction =
  | { type: "move"; by: number }
  | { type: "page"; by: number }
  | { type: "top" }
  | { type: "bottom" }
  | { type: "to"; pos: number }
  | { type: "follow" }
  | { type: "total"; total: number }
  | { type: "resize" };

export function initialList(total: number, rows: number, follow = true): ListState {
  const s: ListState = { total, selected: Math.max(0, total - 1), top: 0, follow, fresh: 0 };
  if (!follow) s.selected = 0;
  return clampTop(s, rows);
}

/** Keeps the selection inside [top, top + rows). */
function clampTop(s: ListState, rows: number): ListState {
  const r = Math.max(1, rows);
  let top = s.top;
  if (s.selected < top) top = s.selected;
  if (s.selected >= top + r) top = s.selected - r + 1;
  top = Math.max(0, Math.min(top, Math.max(0, s.total - r)));
  return top === s.top ? s : { ...s, top };
}

function select(s: ListState, pos: number, rows: number): ListState {
  const selected = Math.max(0, Math.min(pos, s.total - 1));
  const atEnd = selected >= s.total - 1;
  return clampTop(
    {
      ...s,
      selected,
      // Any move up detaches; reaching the end by moving does not re-attach (G and F do).
      follow: s.follow && atEnd,
      fresh: s.follow && atEnd ? 0 : s.fresh,
    },
    rows,
  );
}

export function listReducer(s: ListState, a: ListAction, rows: number): ListState {
  switch (a.type) {
    case "move":
      return select(s, s.selected + a.by, rows);
    case "page":
      return select(s, s.selected + a.by * Math.max(1, rows - 1), rows);
    case "top":
      return select(s, 0, rows);
    case "to":
      return select(s, a.pos, rows);
    case "bottom":
      return clampTop({ ...s, selected: Math.max(0, s.total - 1), follow: true, fresh: 0 }, rows);
    case "follow":
      return s.follow
        ? { ...s, follow: false }
        : clampTop({ ...s, selected: Math.max(0, s.total - 1), follow: true, fresh: 0 }, rows);
    case "total": {
      if (a.total === s.total) return s;
      if (s.follow) {
        return clampTop({ ...s, total: a.total, selected: Math.max(0, a.total - 1) }, rows);
      }
      const grown = Math.max(0, a.total - s.total);
      return clampTop(
        {
          ...s,
          total: a.total,
          selected: Math.min(s.selected, Math.max(0, a.total - 1)),
          fresh: s.fresh + grown,
        },
        rows,
      );
    }
    case "resize":
      return clampTop(s, rows);
  }
}

/** The next (dir 1) or previous (dir -1) value of sorted `list` after `from`, wrapping. */
export function nextIn(
  list: ArrayLike<number>,
  length: number,
  from: number,
  dir: 1 | -1,
): number | undefined {
  if (length === 0) return undefined;
  // Binary search: the first element > from.
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) <= from) lo = mid + 1;
    else hi = mid;
  }
  if (dir === 1) return list[lo < length ? lo : 0];
  // The last element < from.
  let i = lo - 1;
  if (i >= 0 && list[i] === from) i--;
  return list[i >= 0 ? i : length - 1];
}

/** How many of sorted `list` are ≤ `value` (1-based rank of a hit at `value`). */
export function rank(list: ArrayLike<number>, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
