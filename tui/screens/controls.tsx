/**
 * Screen 6: ISO/IEC 27001:2022 Annex A by theme, with the number of events that cite each
 * control in a period (through the index, `query` by control), gaps marked, and the SoA status
 * column. Enter opens the Events screen filtered to the control.
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { ANNEX_A, isLogsealError, THEMES } from "../../src/index.js";
import { useHandler, useShell } from "../context.js";
import { count } from "../format.js";
import { type Line, Lines, selectBy } from "./scroll.js";

/** A hook for the Statement of Applicability: the status of a control, once a soa module exists. */
export type SoaStatus = (controlId: string) => string | undefined;

export const PERIODS = [
  { name: "all time", ms: undefined },
  { name: "last 30 days", ms: 30 * 86_400_000 },
  { name: "last 7 days", ms: 7 * 86_400_000 },
  { name: "last 24 hours", ms: 86_400_000 },
] as const;

/** Evidence counts are shown up to this, then as "1000+". */
const CAP = 1000;

export function ControlsScreen({ soa }: { soa?: SoaStatus | undefined }) {
  const shell = useShell();
  const [period, setPeriod] = useState(0);
  const [data, setData] = useState<
    { counts: Map<string, number>; capped: Set<string>; note?: string } | undefined
  >();
  const [progress, setProgress] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [sel, setSel] = useState({ sel: 0, top: 0 });
  useEffect(() => {
    const abort = new AbortController();
    setData(undefined);
    setError(undefined);
    const p = PERIODS[period]?.ms;
    const range = p === undefined ? {} : { since: shell.now() - p };
    shell.source
      .controlCounts(range, {
        cap: CAP,
        signal: abort.signal,
        onProgress: (x) => setProgress(`${Math.floor((x.done / Math.max(1, x.total)) * 100)}%`),
      })
      .then(
        (r) =>
          setData({
            counts: r.counts,
            capped: r.capped,
            ...(r.via.note === undefined ? {} : { note: r.via.note }),
          }),
        (e: unknown) => {
          if (!abort.signal.aborted)
            setError(isLogsealError(e) ? `${e.code}: ${e.message}` : String(e));
        },
      );
    return () => abort.abort();
  }, [period, shell.source, shell.now]);
  const items: Array<{ id?: string; text: string; gap: boolean }> = [];
  for (const theme of THEMES) {
    const cs = ANNEX_A.filter((c) => c.theme === theme);
    const covered = cs.filter((c) => (data?.counts.get(c.id) ?? 0) > 0).length;
    items.push({ text: `${theme} (${covered} of ${cs.length} with evidence)`, gap: false });
    for (const c of cs) {
      const n = data?.counts.get(c.id) ?? 0;
      const shown = data === undefined ? "…" : data.capped.has(c.id) ? `${count(n)}+` : count(n);
      const status = soa?.(c.id) ?? "-";
      items.push({
        id: c.id,
        text: `  ${c.id.padEnd(7)} ${shown.padStart(7)} ${data !== undefined && n === 0 ? "✖ gap " : "      "} ${status.padEnd(8)} ${c.title}`,
        gap: data !== undefined && n === 0,
      });
    }
  }
  const height = shell.body.rows - 2;
  useHandler((a) => {
    if (a.type === "period") {
      setPeriod((p) => (p + 1) % PERIODS.length);
      return true;
    }
    if (a.type === "open") {
      const id = items[sel.sel]?.id;
      if (id !== undefined) shell.openFilter(`control=${id}`);
      return true;
    }
    const s = selectBy(sel.sel, sel.top, items.length, height, a);
    if (s === undefined) return false;
    setSel(s);
    return true;
  });
  const lines: Line[] = items.map((it, i) => ({
    text: it.text,
    selected: i === sel.sel,
    bad: it.gap,
    bold: it.id === undefined,
  }));
  const head =
    error ??
    (data === undefined
      ? `counting evidence (${PERIODS[period]?.name})… ${progress ?? ""}`
      : `Annex A evidence, ${PERIODS[period]?.name} (r changes): ${data.counts.size} of ${ANNEX_A.length} controls cited${data.note ? `; ${data.note}` : ""}`);
  return (
    <Box flexDirection="column">
      <Text>{head}</Text>
      <Text>{"  control  events  gap    SoA      title"}</Text>
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
