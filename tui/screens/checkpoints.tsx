/**
 * Screen 3: every stored checkpoint with its size, root, the time of the last entry it covers,
 * its signers (pinned or not, valid or not) and whether it is consistent with the previous one
 * (a consistency proof checked here).
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import {
  checkConsistency,
  isLogsealError,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  type StoredCheckpoint,
  toBase64,
} from "../../src/index.js";
import { type Keys, useHandler, useShell } from "../context.js";
import type { DataSource } from "../data/source.js";
import { time } from "../format.js";
import { type Line, Lines, moveSelection } from "./scroll.js";

export interface CheckpointRow {
  size: number;
  root: string;
  /** The `ts` of the last entry the checkpoint covers (a checkpoint carries no time itself). */
  lastAt?: number;
  signers: string;
  valid: boolean;
  /** Consistency with the previous checkpoint: undefined for the first. */
  consistent?: boolean | string;
}

export async function describeCheckpoints(
  source: DataSource,
  keys: Keys,
  list: StoredCheckpoint[],
): Promise<CheckpointRow[]> {
  const out: CheckpointRow[] = [];
  let prev: { size: number; root: Uint8Array } | undefined;
  for (const c of list) {
    let root: Uint8Array | undefined;
    let valid = false;
    let signers: string;
    try {
      const o = openCheckpoint(c.note, keys.verifiers, source.origin);
      root = o.checkpoint.root;
      valid = true;
      signers = `✔ ${o.note.verified.map((s) => s.name).join(", ")}`;
    } catch (e) {
      try {
        root = parseCheckpoint(parseNote(c.note).text).root;
      } catch {}
      signers = `✖ ${isLogsealError(e) ? e.code : "invalid"}`;
    }
    let consistent: boolean | string | undefined;
    if (prev !== undefined && root !== undefined) {
      try {
        const p = await source.proveConsistency(prev.size, c.size);
        consistent = checkConsistency(prev.size, prev.root, c.size, root, p.proof);
      } catch (e) {
        consistent = isLogsealError(e) ? e.code : String(e);
      }
    }
    let lastAt: number | undefined;
    if (c.size > 0) {
      try {
        lastAt = (await source.rows(c.size - 1, 1))[0]?.event.ts;
      } catch {}
    }
    out.push({
      size: c.size,
      root: root === undefined ? "?" : toBase64(root),
      ...(lastAt === undefined ? {} : { lastAt }),
      signers,
      valid,
      ...(consistent === undefined ? {} : { consistent }),
    });
    if (root !== undefined) prev = { size: c.size, root };
  }
  return out;
}

export function CheckpointsScreen() {
  const shell = useShell();
  const [rows, setRows] = useState<CheckpointRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [sel, setSel] = useState({ sel: 0, top: 0 });
  useEffect(() => {
    let live = true;
    shell.source
      .checkpoints()
      .then((list) => describeCheckpoints(shell.source, shell.keys, list))
      .then(
        (r) => {
          if (!live) return;
          setRows(r);
          const last = Math.max(0, r.length - 1);
          setSel({ sel: last, top: Math.max(0, last - (shell.body.rows - 2) + 1) });
        },
        (e: unknown) => live && setError(isLogsealError(e) ? `${e.code}: ${e.message}` : String(e)),
      );
    return () => {
      live = false;
    };
  }, [shell.source, shell.keys, shell.body.rows]);
  const height = shell.body.rows - 2;
  useHandler((a) => {
    if (rows === undefined) return false;
    if (a.type === "open") {
      const r = rows[sel.sel];
      if (r !== undefined && r.size > 0) shell.openEvent(r.size - 1);
      return true;
    }
    return moveSelection(setSel, rows.length, height, a);
  });
  if (error !== undefined) return <Text>{error}</Text>;
  if (rows === undefined) return <Text>reading and checking checkpoints…</Text>;
  if (rows.length === 0) return <Text>no checkpoint signed yet (logseal checkpoint)</Text>;
  const lines: Line[] = rows.map((r, i) => ({
    text: `${String(r.size).padStart(10)}  ${r.root.slice(0, 16)}…  ${r.lastAt === undefined ? "-".padEnd(19) : time(r.lastAt)}  ${(
      r.consistent === undefined
        ? "(first)"
        : r.consistent === true
          ? "✔ consistent"
          : `✖ ${r.consistent === false ? "INCONSISTENT" : r.consistent}`
    ).padEnd(14)}${r.signers}`,
    selected: i === sel.sel,
    bad: !r.valid || (r.consistent !== undefined && r.consistent !== true),
  }));
  return (
    <Box flexDirection="column">
      <Text>
        {`${rows.length} checkpoints; signatures checked with ${shell.keys.pinned ? "the pinned key(s)" : "the store's own key (not pinned: pass --key)"}`.slice(
          0,
          shell.body.columns,
        )}
      </Text>
      <Text>{"       size  root               last event (UTC)     consistency   signature"}</Text>
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
