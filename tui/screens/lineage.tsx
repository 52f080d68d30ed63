/**
 * Screen 5: the upstream and downstream tree of the selected event's asset, from the lineage
 * index. Expand and collapse; Enter opens the event that created an edge.
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import {
  type Event,
  isLogsealError,
  type LineageEdge,
  type LineageGraph,
} from "../../src/index.js";
import { useHandler, useShell } from "../context.js";
import { type Line, Lines, moveSelection } from "./scroll.js";

export interface TreeItem {
  key: string;
  depth: number;
  label: string;
  /** The edge's entry, for Enter. */
  index?: number;
  hasChildren: boolean;
}

/** The asset an event is about: its asset, else its first output or input. */
export function assetOf(e: Event): string | undefined {
  return e.asset ?? e.outputs?.[0] ?? e.inputs?.[0];
}

/** Flattens the graph into visible tree lines, `collapsed` holding the keys folded. */
export function treeItems(g: LineageGraph, collapsed: ReadonlySet<string>): TreeItem[] {
  const out: TreeItem[] = [
    { key: "root", depth: 0, label: g.asset, hasChildren: g.edges.length > 0 },
  ];
  const walk = (
    node: string,
    dir: "up" | "down",
    depth: number,
    key: string,
    seen: Set<string>,
  ) => {
    const next: LineageEdge[] = g.edges.filter((e) =>
      dir === "up" ? e.to === node : e.from === node,
    );
    for (const e of next) {
      const other = dir === "up" ? e.from : e.to;
      const k = `${key}/${other}`;
      const loop = seen.has(other);
      const hasChildren =
        !loop && g.edges.some((x) => (dir === "up" ? x.to === other : x.from === other));
      out.push({
        key: k,
        depth,
        label: `${hasChildren ? (collapsed.has(k) ? "+ " : "- ") : "  "}${other}  ${dir === "up" ? "→" : "←"} ${e.action} by ${e.actor} (#${e.index})${loop ? " (cycle)" : ""}`,
        index: e.index,
        hasChildren,
      });
      if (hasChildren && !collapsed.has(k))
        walk(other, dir, depth + 1, k, new Set([...seen, other]));
    }
  };
  for (const dir of ["up", "down"] as const) {
    const k = `root/${dir}`;
    out.push({
      key: k,
      depth: 1,
      label: `${collapsed.has(k) ? "+" : "-"} ${dir === "up" ? "upstream (derived from)" : "downstream (derived into)"}`,
      hasChildren: true,
    });
    if (!collapsed.has(k)) walk(g.asset, dir, 2, k, new Set([g.asset]));
  }
  return out;
}

export function LineageScreen() {
  const shell = useShell();
  const [asset, setAsset] = useState<string | undefined>();
  const [graph, setGraph] = useState<LineageGraph | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [sel, setSel] = useState({ sel: 0, top: 0 });
  const index = shell.selected;
  useEffect(() => {
    let live = true;
    setGraph(undefined);
    setError(undefined);
    if (index === undefined) return;
    void (async () => {
      try {
        const [row] = await shell.source.rows(index, 1);
        const a = row === undefined ? undefined : assetOf(row.event);
        if (!live) return;
        setAsset(a);
        if (a === undefined) {
          setError(`event ${index} names no asset`);
          return;
        }
        const g = await shell.source.lineage(a, "both");
        if (live) setGraph(g);
      } catch (e) {
        if (!live) return;
        setError(
          isLogsealError(e) && e.code === "E_INDEX_STALE"
            ? "the lineage index is missing or behind: run 'logseal reindex' on the store"
            : isLogsealError(e)
              ? `${e.code}: ${e.message}`
              : String(e),
        );
      }
    })();
    return () => {
      live = false;
    };
  }, [index, shell.source]);
  const items = graph === undefined ? [] : treeItems(graph, collapsed);
  const height = shell.body.rows - 1;
  useHandler((a) => {
    const it = items[sel.sel];
    if (a.type === "open") {
      if (it?.index !== undefined) shell.openEvent(it.index);
      return true;
    }
    if (a.type === "expand" || a.type === "toggle") {
      if (it === undefined || !it.hasChildren) return true;
      const next = new Set(collapsed);
      const fold = a.type === "toggle" ? !collapsed.has(it.key) : !a.open;
      if (fold) next.add(it.key);
      else next.delete(it.key);
      setCollapsed(next);
      return true;
    }
    return moveSelection(setSel, items.length, height, a);
  });
  if (index === undefined) return <Text>no event selected: pick one on the Events screen (1)</Text>;
  if (error !== undefined) return <Text>{error}</Text>;
  if (graph === undefined)
    return <Text>{`reading the lineage of ${asset ?? `event ${index}`}…`}</Text>;
  const lines: Line[] = items.map((it, i) => ({
    text: `${"  ".repeat(it.depth)}${it.label}`,
    selected: i === sel.sel,
    bold: it.depth === 0,
  }));
  return (
    <Box flexDirection="column">
      <Text>{`lineage of ${graph.asset} (event ${index}): ${graph.nodes.length} assets, ${graph.edges.length} edges${graph.truncated ? ", truncated at depth" : ""}`}</Text>
      <Lines
        lines={lines}
        top={sel.top}
        rows={height}
        columns={shell.body.columns}
        color={shell.color}
      />
    </Box>
  );
}
