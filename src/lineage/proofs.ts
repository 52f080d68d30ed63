/**
 * Inclusion proofs for a lineage answer, so that it can be checked offline: for every entry an
 * edge cites, its exact leaf and its inclusion proof against one signed checkpoint.
 *
 * The edge index is derived data; before proving, each cited entry is read and must assert the
 * edge it is cited for (`lineageEdges`), so a damaged index cannot produce a proof of an edge the
 * log does not hold. The offline check is the same: hash the leaf, check the proof against the
 * checkpoint's root, decode the leaf, and find the edge among the edges it asserts.
 */
import { toBase64 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { Log } from "../log.js";
import { lineageEdges } from "./edges.js";
import type { LineageGraph } from "./graph.js";

export interface EntryProof {
  index: number;
  /** The exact leaf bytes, base64. */
  leaf: string;
  /** SHA-256(0x00 ‖ leaf), base64. */
  leafHash: string;
  /** The inclusion proof against the checkpoint, leaf level upward, base64 hashes. */
  proof: string[];
}

export interface LineageProofs {
  /** The signed checkpoint note every proof leads to. */
  checkpoint: { size: number; note: string };
  /** One per cited entry, ascending by index. */
  entries: EntryProof[];
}

/**
 * Proves every entry `graph` cites against the stored checkpoint of size `graph.asOf`.
 * @throws LogsealError E_NO_CHECKPOINT (no checkpoint of that size: sign one, or ask as of the
 *   size of one), E_STORE_CORRUPT (the index cites an entry that does not assert the edge)
 */
export async function lineageProofs(log: Log, graph: LineageGraph): Promise<LineageProofs> {
  const byIndex = new Map<number, Array<{ from: string; to: string }>>();
  for (const e of graph.edges) {
    const list = byIndex.get(e.index) ?? [];
    list.push({ from: e.from, to: e.to });
    byIndex.set(e.index, list);
  }
  const entries: EntryProof[] = [];
  let note: string | undefined;
  if (byIndex.size === 0) {
    const cp = await log.store.checkpointAt(graph.asOf);
    if (cp === undefined) {
      throw new LogsealError(
        "E_NO_CHECKPOINT",
        `no checkpoint of size ${graph.asOf} is stored: list them with 'logseal checkpoint --list'`,
        { details: { size: graph.asOf } },
      );
    }
    note = cp.note;
  }
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const p = await log.proveInclusion(index, graph.asOf);
    const entry = await log.get(index);
    const asserted = new Set(lineageEdges(entry.event, index).map((e) => `${e.from}\u0000${e.to}`));
    for (const e of byIndex.get(index) ?? []) {
      if (!asserted.has(`${e.from}\u0000${e.to}`)) {
        throw new LogsealError(
          "E_STORE_CORRUPT",
          `the lineage index cites entry ${index} for ${e.from} -> ${e.to}, which that entry does not assert: run 'logseal verify', then 'logseal reindex'`,
          { details: { index, from: e.from, to: e.to } },
        );
      }
    }
    note = p.checkpoint;
    entries.push({
      index,
      leaf: toBase64(entry.leaf),
      leafHash: toBase64(p.leafHash),
      proof: p.proof.map(toBase64),
    });
  }
  return { checkpoint: { size: graph.asOf, note: note as string }, entries };
}
