/**
 * Renderings of a lineage graph: an indented tree (for people), Graphviz DOT (for pictures), and
 * the JSON shape `logseal lineage --json` prints. W3C PROV-JSON is in prov.ts. Pure functions
 * from a graph to text or plain objects.
 */
import type { LineageEdge, LineageGraph, LineageNode } from "./graph.js";
import type { LineageProofs } from "./proofs.js";

const iso = (ts: number): string => {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString();
};

/** The JSON answer: the graph, and with proofs the checkpoint and one proof per cited entry. */
export function lineageToJSON(
  graph: LineageGraph,
  proofs?: LineageProofs,
): Record<string, unknown> {
  return proofs === undefined ? { ...graph } : { ...graph, proofs };
}

function edgeNote(e: LineageEdge): string {
  const outcome = e.outcome === "success" ? "" : `, ${e.outcome}`;
  return `${e.action} by ${e.actor}, ${iso(e.ts)}, entry ${e.index}${outcome}`;
}

/**
 * An indented tree: the asset at the top, each node's inputs (upstream) or outputs
 * (downstream) below it with the edge's action, actor, time and entry. A node met again is
 * marked "(shown above)" and not expanded again.
 */
export function lineageToTree(graph: LineageGraph): string {
  const nodes = new Map<string, LineageNode>(graph.nodes.map((n) => [n.id, n]));
  const label = (id: string) => (nodes.get(id)?.erased ? `${id} [erased]` : id);
  const lines: string[] = [];
  const walk = (dir: "up" | "down") => {
    const children = new Map<string, Array<{ id: string; edge: LineageEdge }>>();
    for (const e of graph.edges) {
      const [parent, child] = dir === "up" ? [e.to, e.from] : [e.from, e.to];
      const list = children.get(parent) ?? [];
      list.push({ id: child, edge: e });
      children.set(parent, list);
    }
    const shown = new Set<string>([graph.asset]);
    lines.push(label(graph.asset));
    const visit = (id: string, indent: string) => {
      const list = children.get(id) ?? [];
      list.forEach(({ id: child, edge }, k) => {
        const last = k === list.length - 1;
        const again = shown.has(child);
        lines.push(
          `${indent}${last ? "└── " : "├── "}${label(child)}  (${edgeNote(edge)})${again ? " (shown above)" : ""}`,
        );
        if (again) return;
        shown.add(child);
        visit(child, indent + (last ? "    " : "│   "));
      });
    };
    visit(graph.asset, "");
    if ((children.get(graph.asset) ?? []).length === 0) {
      lines.push(dir === "up" ? "(no upstream lineage)" : "(no downstream lineage)");
    }
  };
  if (graph.direction === "both") {
    lines.push("upstream (derived from):");
    walk("up");
    lines.push("", "downstream (derived from it):");
    walk("down");
  } else walk(graph.direction);
  lines.push(
    `${graph.nodes.length} asset${graph.nodes.length === 1 ? "" : "s"}, ${graph.edges.length} edge${graph.edges.length === 1 ? "" : "s"}, as of size ${graph.asOf}` +
      (graph.truncated
        ? `; depth ${graph.depth} reached, more lineage beyond it (raise --depth)`
        : ""),
  );
  return `${lines.join("\n")}\n`;
}

/** A DOT string literal: quotes and backslashes escaped (asset ids hold no control characters). */
const dotString = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * Graphviz DOT: a digraph from inputs to outputs, left to right, the asked-about asset in bold,
 * erased assets dashed, edges labelled with the action and entry index.
 */
export function lineageToDot(graph: LineageGraph): string {
  const out = [
    "digraph lineage {",
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of graph.nodes) {
    // \n in a DOT label is a line break; the id itself is escaped by dotString.
    const name = dotString(n.id);
    const attrs = [`label=${n.erased ? `${name.slice(0, -1)}\\n(erased)"` : name}`];
    if (n.id === graph.asset) attrs.push("style=bold");
    else if (n.erased) attrs.push("style=dashed");
    out.push(`  ${dotString(n.id)} [${attrs.join(", ")}];`);
  }
  for (const e of graph.edges) {
    const attrs = [`label=${dotString(`${e.action} #${e.index}`)}`];
    if (e.outcome !== "success") attrs.push("style=dashed", "color=red");
    out.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(", ")}];`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}
