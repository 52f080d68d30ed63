/**
 * Which lineage edges an event asserts (formats/lineage.md, "Edges"). The proof cross-check
 * (proofs.ts) uses this function, so an edge in an answer can be checked against the leaf it
 * cites. The indexer applies the same rules to dictionary ids, read from the leaf in place
 * (`Builder#edges` in indexer.ts, kept in step with this file); test/lineage's reference index,
 * built from `lineageEdges` alone, checks that the two agree.
 *
 * With I = inputs, O = outputs and a = asset:
 *   - an event with outcome `denied` asserts no edge (nothing was read or produced);
 *   - if a is given and is neither an input nor an output, a stands between them (a training
 *     run reading features and producing a model): I → a and a → O;
 *   - otherwise every input to every output: I × O;
 *   - an asset is never its own parent (an update in place adds no edge);
 *   - when I × O would exceed {@link MAX_PRODUCT} pairs, the edges go through a node
 *     `entry:<index>` standing for the event itself (I → entry → O), so that one event costs
 *     index records linear in its size (an event may name 1024 inputs and 1024 outputs).
 */
import type { IndexedFields } from "./fields.js";

/** Largest I × O product indexed pair by pair. */
export const MAX_PRODUCT = 4096;

export interface EdgePair {
  from: string;
  to: string;
}

/** The edges event `index` asserts, without repeats, in a fixed order. */
export function lineageEdges(event: IndexedFields, index: number): EdgePair[] {
  const out: EdgePair[] = [];
  forEachEdge(event, index, (from, to) => {
    out.push({ from, to });
  });
  return out;
}

/** Calls `fn` for each edge of {@link lineageEdges}, in the same order. */
function forEachEdge(
  event: IndexedFields,
  index: number,
  fn: (from: string, to: string) => void,
): void {
  const inputs = event.inputs;
  if (event.outcome === "denied" || inputs === undefined) {
    // Without inputs only rule 2's `a → outputs` remains.
    if (event.outcome === "denied" || event.outputs === undefined) return;
  }
  const ins = inputs ?? [];
  const outs = event.outputs ?? [];
  const a = event.asset;
  let middle: string | undefined;
  if (a !== undefined && !ins.includes(a) && !outs.includes(a)) middle = a;
  else if (ins.length * outs.length > MAX_PRODUCT) middle = `entry:${index}`;
  if (middle !== undefined) {
    for (const i of ins) fn(i, middle);
    for (const o of outs) fn(middle, o);
    return;
  }
  for (const i of ins) for (const o of outs) if (i !== o) fn(i, o);
}

/** The assets an event names (asset, inputs, outputs), each once, in that order. */
export function namedAssets(event: IndexedFields): string[] {
  const out: string[] = event.asset === undefined ? [] : [event.asset];
  if (event.inputs !== undefined) addNew(out, event.inputs);
  if (event.outputs !== undefined) addNew(out, event.outputs);
  return out;
}

/** Appends the entries of `list` not in `out` yet (a list holds no repeats itself). */
function addNew(out: string[], list: readonly string[]): void {
  const before = out.length;
  if (before * list.length <= 64) {
    for (const a of list) {
      let repeat = false;
      for (let i = 0; i < before && !repeat; i++) repeat = out[i] === a;
      if (!repeat) out.push(a);
    }
    return;
  }
  const seen = new Set(out.slice(0, before));
  for (const a of list) if (!seen.has(a)) out.push(a);
}

/** The kind of an asset reference: the part before the first `:`. */
export function assetKind(asset: string): string {
  const c = asset.indexOf(":");
  return c < 0 ? "" : asset.slice(0, c);
}
