/**
 * W3C PROV-JSON (https://www.w3.org/submissions/prov-json/) of a lineage graph:
 *
 *   asset  → entity   `asset:<id>`      (prov:label the reference, prov:type logseal:<kind>)
 *   entry  → activity `entry:<index>`   (the event that created an edge: prov:startTime its ts)
 *   actor  → agent    `actor:<id>`
 *   edge from → to by entry i:
 *            used(entry:i, asset:from), wasGeneratedBy(asset:to, entry:i),
 *            wasDerivedFrom(asset:to, asset:from, activity entry:i),
 *            wasAssociatedWith(entry:i, actor:<actor>)
 *
 * Local names are percent-encoded where a character is outside the PROV-N local-name
 * characters, so that every identifier is a valid qualified name; prov:label keeps the
 * reference as it is. With proofs, each activity carries its leaf and inclusion proof, and the
 * checkpoint is an entity `checkpoint:<size>` holding the signed note.
 */
import type { LineageGraph } from "./graph.js";
import type { LineageProofs } from "./proofs.js";

type Obj = Record<string, unknown>;

/** Percent-encodes what is not a PROV-N local-name character (UTF-8 bytes, uppercase hex). */
function local(s: string): string {
  return s.replace(/[^A-Za-z0-9_.\-:/@~&+*$!]/gu, (c) =>
    [...Buffer.from(c, "utf8")]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
      .join(""),
  );
}

const qname = (q: string) => ({ $: q, type: "prov:QUALIFIED_NAME" });

export function lineageToProv(graph: LineageGraph, proofs?: LineageProofs): Obj {
  const entity: Obj = {};
  const activity: Obj = {};
  const agent: Obj = {};
  const used: Obj = {};
  const wasGeneratedBy: Obj = {};
  const wasDerivedFrom: Obj = {};
  const wasAssociatedWith: Obj = {};
  const origin = local(graph.origin);
  const prefix = {
    logseal: "urn:logseal:ns#",
    asset: "urn:logseal:asset:",
    actor: "urn:logseal:actor:",
    entry: `urn:logseal:log:${origin}/entry/`,
    checkpoint: `urn:logseal:log:${origin}/checkpoint/`,
  };
  for (const n of graph.nodes) {
    const e: Obj = { "prov:label": n.id, "prov:type": qname(`logseal:${n.kind || "asset"}`) };
    if (n.erased) e["logseal:erased"] = true;
    entity[`asset:${local(n.id)}`] = e;
  }
  const proofOf = new Map((proofs?.entries ?? []).map((p) => [p.index, p]));
  const seen = new Set<string>();
  let k = 0;
  for (const e of graph.edges) {
    k++;
    const act = `entry:${e.index}`;
    const from = `asset:${local(e.from)}`;
    const to = `asset:${local(e.to)}`;
    const time = new Date(e.ts).toISOString();
    if (!(act in activity)) {
      const a: Obj = {
        "prov:label": e.action,
        "prov:startTime": time,
        "logseal:index": e.index,
        "logseal:action": e.action,
        "logseal:outcome": e.outcome,
      };
      const p = proofOf.get(e.index);
      if (p !== undefined) {
        a["logseal:leaf"] = p.leaf;
        a["logseal:leafHash"] = p.leafHash;
        a["logseal:inclusionProof"] = p.proof;
        a["logseal:checkpoint"] = qname(`checkpoint:${proofs?.checkpoint.size}`);
      }
      activity[act] = a;
      const ag = `actor:${local(e.actor)}`;
      if (!(ag in agent)) agent[ag] = { "prov:label": e.actor };
      wasAssociatedWith[`_:assoc${e.index}`] = { "prov:activity": act, "prov:agent": ag };
    }
    const u = `${act}\u0000${from}`;
    if (!seen.has(u)) {
      seen.add(u);
      used[`_:used${k}`] = { "prov:activity": act, "prov:entity": from, "prov:time": time };
    }
    const g = `${to}\u0000${act}`;
    if (!seen.has(g)) {
      seen.add(g);
      wasGeneratedBy[`_:gen${k}`] = { "prov:entity": to, "prov:activity": act, "prov:time": time };
    }
    wasDerivedFrom[`_:der${k}`] = {
      "prov:generatedEntity": to,
      "prov:usedEntity": from,
      "prov:activity": act,
    };
  }
  if (proofs !== undefined) {
    entity[`checkpoint:${proofs.checkpoint.size}`] = {
      "prov:label": `signed checkpoint of ${graph.origin} at size ${proofs.checkpoint.size}`,
      "prov:type": qname("logseal:checkpoint"),
      "logseal:treeSize": proofs.checkpoint.size,
      "logseal:note": proofs.checkpoint.note,
    };
  }
  return {
    prefix,
    entity,
    activity,
    agent,
    used,
    wasGeneratedBy,
    wasDerivedFrom,
    wasAssociatedWith,
  };
}
