/** Screen 1: the windowed list of events, following the tail. */
import { Box, type DOMElement, Text } from "ink";
import { memo, useEffect, useReducer, useRef } from "react";
import { useHandler, useShell } from "../context.js";
import { useFixedLines } from "../fixed-lines.js";
import { columns, count, header, row } from "../format.js";
import type { EventsModel } from "./events-model.js";

/**
 * One row of the list, keyed by its screen slot. Memoised: while detached, a frame for new
 * events (or for a key that moves the selection by one) changes the status line and at most
 * two rows, and React skips the others instead of re-rendering the window.
 */
const Row = memo(function Row(props: { text: string; selected: boolean; red: boolean }) {
  return (
    <Text inverse={props.selected} color={props.red ? "red" : undefined}>
      {props.text}
    </Text>
  );
});

export function EventsScreen({ model }: { model: EventsModel }) {
  const shell = useShell();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  // Header line + column header + status line.
  const rows = Math.max(1, shell.body.rows - 2);
  model.resize(rows);
  useEffect(() => model.subscribe(redraw), [model]);
  useEffect(() => {
    if (shell.pendingFilter !== undefined) {
      const err = model.setFilter(shell.pendingFilter);
      shell.takeFilter();
      if (err !== undefined) shell.say(err);
    }
  });
  useEffect(() => {
    model.load();
    const i = model.selectedIndex();
    if (i !== undefined && i !== shell.selected) shell.select(i);
  });

  useHandler((a) => {
    switch (a.type) {
      case "move":
      case "page":
      case "top":
      case "bottom":
      case "follow":
        model.dispatch(a);
        return true;
      case "open": {
        const i = model.selectedIndex();
        if (i !== undefined) shell.openEvent(i);
        return true;
      }
      case "prompt":
        shell.prompt(a.kind, (text) =>
          a.kind === "filter"
            ? model.setFilter(text)
            : a.kind === "search"
              ? model.setSearch(text)
              : model.goto(text, shell.now()),
        );
        return true;
      case "clearFilter":
        model.setFilter("");
        return true;
      case "hit": {
        const err = model.hit(a.dir);
        if (err !== undefined) shell.say(err);
        return true;
      }
      case "mark":
        model.toggleMark();
        return true;
      case "toMark": {
        const err = model.toMark(a.dir);
        if (err !== undefined) shell.say(err);
        return true;
      }
      default:
        return false;
    }
  });

  // Rows change with every follow tick: sized, never measured (tui/fixed-lines.ts).
  const box = useRef<DOMElement>(null);
  useFixedLines(box, shell.body.columns);

  const { list, view } = model;
  const digits = String(Math.max(0, shell.source.size() - 1)).length;
  const cols = columns(shell.body.columns, digits);
  const lines: Array<{ key: number; text: string; selected: boolean; bad: boolean }> = [];
  const end = Math.min(list.top + rows, list.total);
  for (let pos = list.top, slot = 0; pos < end; pos++, slot++) {
    const index = view.indexAt(pos);
    const r = shell.source.peek(index);
    const selected = pos === list.selected;
    lines.push({
      key: slot,
      selected,
      bad: r !== undefined && r.event.outcome !== "success",
      text:
        r === undefined
          ? `${selected ? ">" : " "} ${String(index).padStart(cols.idx)} …`
          : row(index, r.event, cols, model.marks.has(index), selected),
    });
  }
  const p = view.progress();
  const state = list.follow
    ? "FOLLOW"
    : list.fresh > 0
      ? `+${count(list.fresh)} new (G follows)`
      : "PAUSED";
  const pos = list.total === 0 ? "0/0" : `${count(list.selected + 1)}/${count(list.total)}`;
  const parts = [
    `[${state}]`,
    pos,
    view.filter === undefined ? undefined : `filter: ${view.filter.text}`,
    p === undefined ? undefined : `filtering ${Math.floor((p.done / Math.max(1, p.total)) * 100)}%`,
    model.hitStatus(),
    model.marks.size > 0 ? `${model.marks.size} marked` : undefined,
    model.busy,
    model.error ?? view.error() ?? view.note(),
  ];
  return (
    <Box flexDirection="column" ref={box}>
      <Text>
        {parts
          .filter((x) => x !== undefined)
          .join("  ")
          .slice(0, shell.body.columns)}
      </Text>
      <Text dimColor={shell.color}>{header(cols).slice(0, shell.body.columns)}</Text>
      {lines.length === 0 ? (
        <Text>
          {p !== undefined
            ? "filtering…"
            : view.filter !== undefined
              ? "no event matches the filter (c clears it)"
              : "the log is empty"}
        </Text>
      ) : (
        lines.map((l) => (
          <Row
            key={l.key}
            text={l.text.slice(0, shell.body.columns)}
            selected={l.selected}
            red={shell.color && l.bad && !l.selected}
          />
        ))
      )}
    </Box>
  );
}
