/**
 * The evidence report: for each applicable control of a Statement of Applicability, the events
 * of the period that evidence it (count, first, last, samples), each sample with its inclusion
 * proof against the latest signed checkpoint; applicable controls with no such event are gaps;
 * excluded controls are listed with their justification. Everything counted is inside the
 * checkpoint, so every number in the report is about signed entries only. The JSON form is
 * specified in formats/evidence-report.md; src/controls/render.ts draws it as Markdown or HTML.
 *
 * Events are found through the query indexes when they cover the checkpoint, else by reading
 * the log once (the report says which).
 */
import { toBase64 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { type Event, MAX_TIMESTAMP } from "../event/index.js";
import { scanEntries } from "../lineage/entries.js";
import { queryStream } from "../lineage/query.js";
import { indexStatus } from "../lineage/status.js";
import { parseTime } from "../lineage/time.js";
import type { Log } from "../log.js";
import { parseCheckpoint, parseNote } from "../note/index.js";
import { control } from "./catalog.js";
import {
  type EvidenceQuery,
  parseEvidenceQuery,
  type Soa,
  type Status,
  soaTemplate,
} from "./soa.js";

export const EVIDENCE_REPORT_FORMAT = "logseal-evidence-report/v1";

export interface EvidenceOptions {
  /** The SoA (default: the template, every control applicable and evidenced by its own id). */
  soa?: Soa;
  /** Where the SoA came from, for the report (a file name). */
  soaSource?: string;
  /** Events with `ts` at or after this (ms, or a time as `logseal query` reads it). */
  from?: number | string;
  /** Events with `ts` before this. */
  to?: number | string;
  /** Samples per control, with proofs (default 3; the first and the last are among them). */
  samples?: number;
  /** The current time, for relative times and the report's date (default now). */
  now?: number;
  /**
   * How to find the events: `index` (the query indexes; E_INDEX_STALE when they are behind) or
   * `scan` (read the log once). Default: the indexes when they cover the log, else a scan.
   */
  method?: "index" | "scan";
}

export interface EvidenceSample {
  index: number;
  /** The event's own time, ISO 8601. */
  ts: string;
  actor: string;
  action: string;
  outcome: string;
  asset?: string;
  /** SHA-256(0x00 || leaf), base64. */
  leafHash: string;
  /** The inclusion proof against the report's checkpoint, base64 hashes (RFC 9162 §2.1.3). */
  proof: string[];
}

export interface ControlEvidence {
  id: string;
  title: string;
  theme: string;
  status: Status;
  owner: string;
  justification: string;
  /** The evidence query of the SoA. */
  query: string;
  count: number;
  first?: { index: number; ts: string };
  last?: { index: number; ts: string };
  samples: EvidenceSample[];
}

export interface EvidenceReport {
  format: typeof EVIDENCE_REPORT_FORMAT;
  origin: string;
  generatedAt: string;
  /** The window on the events' `ts`, ISO 8601; null where open. */
  period: { from: string | null; to: string | null };
  /** The checkpoint every count and proof is against. */
  checkpoint: { size: number; root: string; note: string };
  /** The log's verifier key as the store names it; an auditor compares it with the pinned one. */
  vkey: string;
  soa: {
    source: string;
    organization: string;
    scope: string;
    version: string;
    approvedBy: string;
    reviewed: string;
  };
  /** How the events were found: `index` (query indexes) or `scan` (the log read once). */
  method: "index" | "scan";
  /** Entries appended after the checkpoint: not counted, as no proof covers them yet. */
  unsigned: number;
  summary: {
    controls: number;
    applicable: number;
    evidenced: number;
    gaps: number;
    outside: number;
    excluded: number;
    events: number;
  };
  /** Applicable controls with an evidence query, in Annex A order (gaps included, count 0). */
  controls: ControlEvidence[];
  /** Ids of the applicable controls no event of the period evidences. */
  gaps: string[];
  /** Applicable controls whose evidence is kept outside this log (evidence: null). */
  outside: Array<{
    id: string;
    title: string;
    justification: string;
    status: Status;
    owner: string;
  }>;
  excluded: Array<{ id: string; title: string; justification: string }>;
  /** Commands that check the report, in order. */
  howToCheck: string[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function matches(e: Event, q: EvidenceQuery, since: number, until: number): boolean {
  if (e.ts < since || e.ts >= until) return false;
  if (q.actor !== undefined && e.actor.id !== q.actor) return false;
  if (q.action !== undefined && e.action !== q.action) return false;
  if (q.outcome !== undefined && e.outcome !== q.outcome) return false;
  if (q.control !== undefined && !(e.controls ?? []).includes(q.control)) return false;
  if (
    q.asset !== undefined &&
    e.asset !== q.asset &&
    !(e.inputs ?? []).includes(q.asset) &&
    !(e.outputs ?? []).includes(q.asset)
  ) {
    return false;
  }
  return true;
}

/** Up to `n` of `xs`, evenly spread, always with the first and the last. */
function spread(xs: readonly number[], n: number): number[] {
  if (xs.length <= n) return [...xs];
  if (n <= 0) return [];
  if (n === 1) return [xs[0] as number];
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = xs[Math.round((k * (xs.length - 1)) / (n - 1))] as number;
    if (out.at(-1) !== v) out.push(v);
  }
  return out;
}

/**
 * Builds the evidence report of `log` against its latest checkpoint.
 * @throws LogsealError E_NO_CHECKPOINT, E_USAGE (a bad time or sample count), E_STORE_CORRUPT
 */
export async function evidenceReport(
  log: Log,
  options: EvidenceOptions = {},
): Promise<EvidenceReport> {
  const now = options.now ?? Date.now();
  const samples = options.samples ?? 3;
  if (!Number.isSafeInteger(samples) || samples < 0 || samples > 1000) {
    throw new LogsealError("E_USAGE", "samples must be an integer from 0 to 1000", {
      location: { field: "--samples" },
    });
  }
  const bound = (v: number | string | undefined, field: string, fallback: number): number =>
    v === undefined ? fallback : typeof v === "number" ? v : parseTime(v, now, field);
  const since = bound(options.from, "--from", 0);
  const until = bound(options.to, "--to", MAX_TIMESTAMP + 1);
  if (until <= since) {
    throw new LogsealError("E_USAGE", "the period is empty: --to must be after --from", {
      location: { field: "--to" },
    });
  }
  const cp = await log.latestCheckpoint();
  if (cp === undefined) {
    throw new LogsealError(
      "E_NO_CHECKPOINT",
      `no checkpoint has been signed yet: run 'logseal checkpoint --store ${log.dir}' first (the report proves every sample against one)`,
    );
  }
  const head = parseCheckpoint(parseNote(cp.note).text);
  const soa = options.soa ?? soaTemplate();

  const rows = soa.controls.filter((c) => c.applicable && c.evidence !== null);
  const queries = rows.map((c) => {
    const q = parseEvidenceQuery(c.evidence as string);
    if (typeof q === "string") {
      throw new LogsealError("E_SOA_INVALID", `${c.id}: ${q}`, { location: { field: "evidence" } });
    }
    return q;
  });
  const hits: number[][] = rows.map(() => []);
  const times = new Map<number, number>();
  // The indexes answer only when they cover the whole log (queryStream requires it).
  const method = options.method ?? ((await indexStatus(log.store)).current ? "index" : "scan");
  if (method === "index") {
    for (const [k, q] of queries.entries()) {
      for await (const h of queryStream(log.store, { ...q, since, until })) {
        if (h.index >= cp.size) break;
        (hits[k] as number[]).push(h.index);
        times.set(h.index, h.event.ts);
      }
    }
  } else {
    for await (const { index, event } of scanEntries(log.store, 0, cp.size)) {
      for (const [k, q] of queries.entries()) {
        if (!matches(event, q, since, until)) continue;
        (hits[k] as number[]).push(index);
        times.set(index, event.ts);
      }
    }
  }

  const controls: ControlEvidence[] = [];
  const events = new Set<number>();
  for (const [k, c] of rows.entries()) {
    const found = hits[k] as number[];
    for (const i of found) events.add(i);
    const out: ControlEvidence = {
      id: c.id,
      title: c.title,
      theme: control(c.id)?.theme ?? "",
      status: c.status,
      owner: c.owner,
      justification: c.justification,
      query: c.evidence as string,
      count: found.length,
      samples: [],
    };
    const first = found[0];
    const last = found.at(-1);
    if (first !== undefined && last !== undefined) {
      out.first = { index: first, ts: iso(times.get(first) as number) };
      out.last = { index: last, ts: iso(times.get(last) as number) };
    }
    for (const index of spread(found, samples)) {
      const [{ event }, p] = await Promise.all([
        log.get(index),
        log.proveInclusion(index, cp.size),
      ]);
      out.samples.push({
        index,
        ts: iso(event.ts),
        actor: event.actor.id,
        action: event.action,
        outcome: event.outcome,
        ...(event.asset === undefined ? {} : { asset: event.asset }),
        leafHash: toBase64(p.leafHash),
        proof: p.proof.map(toBase64),
      });
    }
    controls.push(out);
  }
  const gaps = controls.filter((c) => c.count === 0).map((c) => c.id);
  const outside = soa.controls
    .filter((c) => c.applicable && c.evidence === null)
    .map((c) => ({
      id: c.id,
      title: c.title,
      justification: c.justification,
      status: c.status,
      owner: c.owner,
    }));
  const excluded = soa.controls
    .filter((c) => !c.applicable)
    .map((c) => ({ id: c.id, title: c.title, justification: c.justification }));
  const applicable = soa.controls.filter((c) => c.applicable).length;
  return {
    format: EVIDENCE_REPORT_FORMAT,
    origin: log.origin,
    generatedAt: iso(now),
    period: {
      from: since > 0 ? iso(since) : null,
      to: until <= MAX_TIMESTAMP ? iso(until) : null,
    },
    checkpoint: { size: cp.size, root: toBase64(head.root), note: cp.note },
    vkey: log.vkey,
    soa: {
      source: options.soaSource ?? "template (no SoA given: every control applicable)",
      organization: soa.organization,
      scope: soa.scope,
      version: soa.version,
      approvedBy: soa.approvedBy,
      reviewed: soa.reviewed,
    },
    method,
    unsigned: log.size - cp.size,
    summary: {
      controls: soa.controls.length,
      applicable,
      evidenced: controls.length - gaps.length,
      gaps: gaps.length,
      outside: outside.length,
      excluded: excluded.length,
      events: events.size,
    },
    controls,
    gaps,
    outside,
    excluded,
    howToCheck: [
      "Get the log's verifier key from its operator (not from this report) and compare it with the key above.",
      `Verify the whole log and its checkpoints: logseal verify --store STORE --key VKEY`,
      `Check a sample: logseal prove inclusion INDEX --store STORE --size ${cp.size} --json > p.json && logseal verify --proof p.json --key VKEY`,
      `Get the events of a control as a pack that verifies offline: logseal export --bundle pack.json --store STORE --control A.8.11, then logseal verify --bundle pack.json --key VKEY`,
      "Each sample's proof leads from its leaf hash to the checkpoint's root (RFC 9162 §2.1.3.2); the checkpoint note is signed by the key above.",
    ],
  };
}
