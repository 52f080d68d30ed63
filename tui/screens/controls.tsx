/**
 * Screen 6: ISO/IEC 27001:2022 Annex A by theme, with the number of events that cite each
 * control in a period (through the index, `query` by control), gaps marked, and the SoA status
 * column. With a Statement of Applicability (`logseal tui --soa FILE`, formats/soa.md) each
 * control shows its applicability and status, evidence is counted with the SoA's query, and
 * only applicable controls with a query can be gaps: an excluded control reads `excluded`, one
 * evidenced outside the log `outside`. Without one, every control is applicable and its
 * evidence is the events citing it (as `logseal evidence` without --soa). Enter opens the
 * Events screen filtered to the control's evidence.
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { ANNEX_A, isLogsealError, type Soa, type SoaControl, THEMES } from "../../src/index.js";
import { useHandler, useShell } from "../context.js";
import { parseFilter } from "../data/filter.js";
import { count } from "../format.js";
import { type Line, Lines, moveSelection } from "./scroll.js";

/** How the SoA column names a control's state: a word, never a colour alone. */
export function soaWord(c: SoaControl | undefined): string {
  if (c === undefined) return "-";
  if (!c.applicable) return "excluded";
  switch (c.status) {
    case "implemented":
      return "impl";
    case "partially-implemented":
      return "partial";
    case "planned":
      return "planned";
    default:
      return "not impl";
  }
}

/** The filter line of a control's evidence: the SoA's query, or the control's own id. */
export function evidenceFilter(id: string, c: SoaControl | undefined): string {
  return c?.evidence ?? `control=${id}`;
}

export const PERIODS = [
  { name: "all time", ms: undefined },
  { name: "last 30 days", ms: 30 * 86_400_000 },
  { name: "last 7 days", ms: 7 * 86_400_000 },
  { name: "last 24 hours", ms: 86_400_000 },
] as const;

/** Evidence counts are shown up to this, then as "1000+". */
const CAP = 1000;

/** Counts the events matching an SoA evidence query other than `control=ID`, up to `cap`. */
async function countQuery(
  source: ReturnType<typeof useShell>["source"],
  query: string,
  period: { since?: number },
  cap: number,
  signal: AbortSignal,
): Promise<{ n: number; capped: boolean }> {
  const parsed = parseFilter(query);
  if (parsed === undefined) return { n: 0, capped: false };
  const stop = new AbortController();
  let n = 0;
  try {
    await source.scan(
      { ...parsed, ...period },
      {
        signal: AbortSignal.any([signal, stop.signal]),
        onRows: (rows) => {
          n += rows.length;
          if (n >= cap) stop.abort();
        },
      },
    );
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
  return { n: Math.min(n, cap), capped: n >= cap };
}

export function ControlsScreen({ soa }: { soa?: Soa | undefined }) {
  const shell = useShell();
  const [period, setPeriod] = useState(0);
  const [data, setData] = useState<
    { counts: Map<string, number>; capped: Set<string>; note?: string } | undefined
  >();
  const [progress, setProgress] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [sel, setSel] = useState({ sel: 0, top: 0 });
  const byId = new Map(soa?.controls.map((c) => [c.id, c]));
  useEffect(() => {
    const abort = new AbortController();
    setData(undefined);
    setError(undefined);
    const p = PERIODS[period]?.ms;
    const range = p === undefined ? {} : { since: shell.now() - p };
    // SoA queries other than the control's own id are counted by a capped scan each.
    const custom = (soa?.controls ?? []).filter(
      (c) => c.evidence !== null && c.evidence !== `control=${c.id}`,
    );
    (async () => {
      const r = await shell.source.controlCounts(range, {
        cap: CAP,
        signal: abort.signal,
        onProgress: (x) => setProgress(`${Math.floor((x.done / Math.max(1, x.total)) * 100)}%`),
      });
      for (const c of custom) {
        const q = await countQuery(shell.source, c.evidence as string, range, CAP, abort.signal);
        if (q.n > 0) r.counts.set(c.id, q.n);
        else r.counts.delete(c.id);
        if (q.capped) r.capped.add(c.id);
        else r.capped.delete(c.id);
      }
      return r;
    })().then(
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
  }, [period, shell.source, shell.now, soa]);
  const items: Array<{ id?: string; text: string; gap: boolean; filter?: string }> = [];
  let gaps = 0;
  let applicable = 0;
  for (const theme of THEMES) {
    const cs = ANNEX_A.filter((c) => c.theme === theme);
    const inScope = cs.filter((c) => byId.get(c.id)?.applicable ?? true);
    const covered = inScope.filter((c) => (data?.counts.get(c.id) ?? 0) > 0).length;
    const excluded = cs.length - inScope.length;
    items.push({
      text: `${theme} (${covered} of ${inScope.length}${soa === undefined ? "" : " applicable"} with evidence in the log${excluded > 0 ? `, ${excluded} excluded` : ""})`,
      gap: false,
    });
    for (const c of cs) {
      const row = byId.get(c.id);
      const inLog = row === undefined || row.evidence !== null;
      const n = data?.counts.get(c.id) ?? 0;
      // Excluded: no count (nothing is expected of it); evidence kept outside the log: no count.
      const shown = !(row?.applicable ?? true)
        ? "-"
        : !inLog
          ? "outside"
          : data === undefined
            ? "…"
            : data.capped.has(c.id)
              ? `${count(n)}+`
              : count(n);
      // A gap is an applicable control whose evidence query finds nothing in the period.
      const gap = data !== undefined && (row?.applicable ?? true) && inLog && n === 0;
      if (row?.applicable ?? true) applicable++;
      if (gap) gaps++;
      items.push({
        id: c.id,
        filter: evidenceFilter(c.id, row),
        text: `  ${c.id.padEnd(7)} ${shown.padStart(7)} ${gap ? "✖ gap " : "      "} ${soaWord(row).padEnd(8)} ${c.title}`,
        gap,
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
      const f = items[sel.sel]?.filter;
      if (f !== undefined) shell.openFilter(f);
      return true;
    }
    return moveSelection(setSel, items.length, height, a);
  });
  const lines: Line[] = items.map((it, i) => ({
    text: it.text,
    selected: i === sel.sel,
    bad: it.gap,
    bold: it.id === undefined,
  }));
  const scope =
    soa === undefined
      ? `no SoA (--soa FILE): all applicable, ${gaps} gaps`
      : `SoA: ${applicable} applicable, ${ANNEX_A.length - applicable} excluded, ${gaps} gaps`;
  const head =
    error ??
    (data === undefined
      ? `counting evidence (${PERIODS[period]?.name})… ${progress ?? ""}`
      : `Annex A, ${PERIODS[period]?.name} (r): ${data.counts.size} of ${ANNEX_A.length} evidenced; ${scope}${data.note ? `; ${data.note}` : ""}`);
  return (
    <Box flexDirection="column">
      <Text>{head.slice(0, shell.body.columns)}</Text>
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
