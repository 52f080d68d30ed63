/**
 * Screen 2: one event, every field, masked values as the log holds them (masks, never clear
 * values), pretty JSON, and its inclusion proof against the latest checkpoint: pending until
 * the proof has been checked here, then verified or FAILED.
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import {
  bytesEqual,
  checkInclusion,
  type Entry,
  isLogsealError,
  leafHash,
  openCheckpoint,
  toBase64,
} from "../../src/index.js";
import { type Keys, useHandler, useShell } from "../context.js";
import type { DataSource } from "../data/source.js";
import { outcomeWord, time } from "../format.js";
import { type Line, Lines, scrollBy } from "./scroll.js";

export type ProofState =
  | { state: "pending"; why: string }
  | { state: "verified"; size: number; signers: string[]; pinned: boolean }
  | { state: "failed"; why: string }
  | { state: "unavailable"; why: string };

/** Checks entry's inclusion in the latest checkpoint: the proof, the leaf, the signature. */
export async function checkProof(
  source: DataSource,
  entry: Entry,
  keys: Keys,
): Promise<ProofState> {
  const latest = await source.latestCheckpoint();
  if (latest === undefined) return { state: "unavailable", why: "no checkpoint signed yet" };
  if (entry.index >= latest.size) {
    return {
      state: "unavailable",
      why: `not yet covered: the latest checkpoint has size ${latest.size}`,
    };
  }
  let proof: Awaited<ReturnType<DataSource["proveInclusion"]>>;
  try {
    proof = await source.proveInclusion(entry.index, latest.size);
  } catch (e) {
    return { state: "failed", why: isLogsealError(e) ? `${e.code}: ${e.message}` : String(e) };
  }
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    opened = openCheckpoint(proof.checkpoint, keys.verifiers, source.origin);
  } catch (e) {
    return {
      state: "failed",
      why: `checkpoint: ${isLogsealError(e) ? `${e.code}: ${e.message}` : String(e)}`,
    };
  }
  // The leaf hash is computed here from the leaf bytes, not taken from the proof.
  const hash = leafHash(entry.leaf);
  if (!bytesEqual(hash, proof.leafHash)) {
    return { state: "failed", why: "the proof is for another leaf than the entry's bytes" };
  }
  const { checkpoint } = opened;
  if (checkpoint.size !== proof.size)
    return { state: "failed", why: "the proof's size is not the checkpoint's" };
  if (!checkInclusion(entry.index, proof.size, hash, proof.proof, checkpoint.root)) {
    return {
      state: "failed",
      why: `the inclusion proof does not lead to the root of checkpoint ${proof.size}`,
    };
  }
  return {
    state: "verified",
    size: proof.size,
    signers: opened.note.verified.map((s) => s.name),
    pinned: keys.pinned,
  };
}

function proofLines(p: ProofState | undefined): Line[] {
  if (p === undefined || p.state === "pending") {
    return [{ text: `  … pending: ${p?.why ?? "reading the proof"}` }];
  }
  switch (p.state) {
    case "verified":
      return [
        {
          text: `  ✔ verified: included in checkpoint of size ${p.size}, signed by ${p.signers.join(", ")} (${p.pinned ? "pinned key" : "store's own key, not pinned"})`,
          good: true,
        },
      ];
    case "failed":
      return [{ text: `  ✖ FAILED: ${p.why}`, bad: true }];
    case "unavailable":
      return [{ text: `  - not checked: ${p.why}` }];
  }
}

export function detailLines(entry: Entry, proof: ProofState | undefined): Line[] {
  const e = entry.event;
  const lines: Line[] = [];
  const field = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== "") lines.push({ text: `  ${k.padEnd(10)} ${v}` });
  };
  lines.push({ text: `event ${entry.index}`, bold: true });
  field("id", e.id);
  field("time", `${time(e.ts)} UTC (ts ${e.ts})`);
  field("logged", `${time(e.at)} UTC (at ${e.at})`);
  field(
    "actor",
    `${e.actor.id}${e.actor.kind ? ` (${e.actor.kind})` : ""}${e.actor.role ? ` as ${e.actor.role}` : ""}`,
  );
  field("action", e.action);
  field("outcome", `${outcomeWord(e.outcome)} (${e.outcome})`);
  field("asset", e.asset);
  field("inputs", e.inputs?.join(", "));
  field("outputs", e.outputs?.join(", "));
  field("controls", e.controls?.join(", "));
  field("leaf hash", toBase64(leafHash(entry.leaf)));
  const masked = (e.details as { $masked?: Array<{ path: string; kind: string }> } | undefined)
    ?.$masked;
  if (Array.isArray(masked) && masked.length > 0) {
    lines.push({
      text: "masked (the log holds masks and commitments, never the values)",
      bold: true,
    });
    for (const m of masked) lines.push({ text: `  ${m.path}: ${m.kind}` });
  }
  lines.push({ text: "inclusion proof", bold: true });
  lines.push(...proofLines(proof));
  lines.push({ text: "json", bold: true });
  for (const l of JSON.stringify(e, null, 2).split("\n")) lines.push({ text: `  ${l}` });
  return lines;
}

export function DetailScreen() {
  const shell = useShell();
  const index = shell.selected;
  const [entry, setEntry] = useState<Entry | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [proof, setProof] = useState<ProofState | undefined>();
  const [top, setTop] = useState(0);
  const [again, setAgain] = useState(0);
  const { source, keys } = shell;

  useEffect(() => {
    if (index === undefined) return;
    let live = true;
    setProof({ state: "pending", why: again > 0 ? "checking again" : "reading the entry" });
    setTop(0);
    source.entry(index).then(
      async (en) => {
        if (!live) return;
        setEntry(en);
        setError(undefined);
        setProof({ state: "pending", why: "checking the proof" });
        const p = await checkProof(source, en, keys).catch(
          (e: unknown): ProofState => ({ state: "failed", why: String(e) }),
        );
        if (live) setProof(p);
      },
      (e: unknown) => live && setError(isLogsealError(e) ? `${e.code}: ${e.message}` : String(e)),
    );
    return () => {
      live = false;
    };
  }, [index, source, keys, again]);

  const lines = entry === undefined || entry.index !== index ? [] : detailLines(entry, proof);
  const rows = shell.body.rows;
  useHandler((a) => {
    if (a.type === "start") {
      setAgain((n) => n + 1);
      return true;
    }
    if (!["move", "page", "top", "bottom"].includes(a.type)) return false;
    // From React's current state: keys handled before the next render each scroll.
    setTop((cur) => scrollBy(cur, lines.length, rows, a));
    return true;
  });

  if (index === undefined) return <Text>no event selected: pick one on the Events screen (1)</Text>;
  if (error !== undefined) return <Text>{error}</Text>;
  if (lines.length === 0) return <Text>reading event {index}…</Text>;
  return (
    <Box flexDirection="column">
      <Lines lines={lines} top={top} rows={rows} columns={shell.body.columns} color={shell.color} />
    </Box>
  );
}
