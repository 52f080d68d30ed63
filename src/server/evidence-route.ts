/**
 * `GET /v1/evidence` (formats/http-api.md): the evidence report of `logseal evidence`, against
 * the latest signed checkpoint and the server's Statement of Applicability (`serve --soa FILE`;
 * without one, the template: every control applicable).
 *
 *   GET /v1/evidence?from=-30d&to=now&samples=3&format=json
 *
 * `from`/`to` are read as `logseal evidence --from/--to` reads them (ISO 8601, `now`, or relative
 * to the server's clock); `format` is json (the report of formats/evidence-report.md, the bytes
 * `logseal evidence --format json` prints), md or html.
 *
 * The report reads entries and proves samples against the checkpoint's size, which appends
 * never change (bundles and tiles only grow), so it runs beside the group commits instead of
 * holding the read gate: a scan of a large log would otherwise stall every append for seconds.
 */
import type { ServerResponse } from "node:http";
import { evidenceReport } from "../controls/evidence.js";
import { evidenceToHtml, evidenceToMarkdown } from "../controls/render.js";
import type { Soa } from "../controls/soa.js";
import { LogsealError } from "../errors.js";
import { parseTime } from "../lineage/time.js";
import type { Log } from "../log.js";
import { sendBytes } from "./http.js";

/** The SoA a server reports against, and where it came from (a file name, for the report). */
export interface ServerSoa {
  soa: Soa;
  source: string;
}

const TYPES = {
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
} as const;

/**
 * Answers one evidence request.
 * @throws LogsealError E_USAGE (a bad time, period, sample count or format), E_NO_CHECKPOINT
 */
export async function sendEvidence(
  log: Log,
  soa: ServerSoa | undefined,
  params: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const format = params.get("format") ?? "json";
  if (!(format in TYPES)) {
    throw new LogsealError(
      "E_USAGE",
      `format must be json, md or html, got ${JSON.stringify(format)}`,
      {
        location: { field: "format" },
      },
    );
  }
  const samplesText = params.get("samples");
  let samples: number | undefined;
  if (samplesText !== null) {
    samples = /^(0|[1-9][0-9]{0,3})$/.test(samplesText) ? Number(samplesText) : Number.NaN;
    if (!(samples <= 1000)) {
      throw new LogsealError("E_USAGE", "samples must be an integer from 0 to 1000", {
        location: { field: "samples" },
      });
    }
  }
  // Read here, so that an error names the query parameter (the library names CLI options).
  const now = Date.now();
  const fromText = params.get("from");
  const toText = params.get("to");
  const from = fromText === null ? undefined : parseTime(fromText, now, "from");
  const to = toText === null ? undefined : parseTime(toText, now, "to");
  if (from !== undefined && to !== undefined && to <= from) {
    throw new LogsealError("E_USAGE", "the period is empty: to must be after from", {
      location: { field: "to" },
    });
  }
  let report: Awaited<ReturnType<typeof evidenceReport>>;
  try {
    report = await evidenceReport(log, {
      now,
      ...(samples === undefined ? {} : { samples }),
      ...(soa === undefined ? {} : { soa: soa.soa, soaSource: soa.source }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    });
  } catch (e) {
    if (e instanceof LogsealError && e.code === "E_NO_CHECKPOINT") {
      throw new LogsealError(
        "E_NO_CHECKPOINT",
        "no checkpoint has been signed yet: the report proves every sample against one (an admin signs one with POST /v1/checkpoint, or wait for the server's interval)",
        { cause: e },
      );
    }
    throw e;
  }
  const body =
    format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === "html"
        ? evidenceToHtml(report)
        : evidenceToMarkdown(report);
  sendBytes(res, 200, body, {
    "Content-Type": TYPES[format as keyof typeof TYPES],
    "Cache-Control": "no-store",
  });
}
