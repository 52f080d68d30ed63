import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type EvidenceReport,
  evidenceReport,
  evidenceToHtml,
  evidenceToMarkdown,
  LogsealError,
  parseSoa,
} from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { note } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";
import { readSmallFile } from "./soa.js";

interface Options {
  store?: string;
  soa?: string;
  from?: string;
  to?: string;
  format: string;
  out?: string;
  samples: string;
}

const FORMATS = ["md", "json", "html"];

/** Renders a report in one of FORMATS. */
export function renderEvidence(r: EvidenceReport, format: string): string {
  if (format === "json") return `${JSON.stringify(r, null, 2)}\n`;
  if (format === "html") return evidenceToHtml(r);
  return evidenceToMarkdown(r);
}

export function register(program: Command): void {
  program
    .command("evidence")
    .description(
      "ISO/IEC 27001:2022 evidence per applicable control (counts, first and last, samples with inclusion proofs), gaps and exclusions, against the latest checkpoint",
    )
    .option("--store <dir>", "store directory")
    .option("--soa <file>", "the Statement of Applicability (default: every control applicable)")
    .option("--from <time>", "events with ts at or after: ISO 8601, now, or relative (-30d)")
    .option("--to <time>", "events with ts before: ISO 8601, now, or relative")
    .option("--format <format>", "md, json or html (one self-contained page)", "md")
    .option("--out <file>", "write the report to FILE instead of stdout")
    .option("--samples <n>", "samples with proofs per control", "3")
    .action((opts: Options, cmd: Command) =>
      run(false, async () => {
        if (!FORMATS.includes(opts.format)) {
          throw new LogsealError("E_USAGE", `--format must be one of ${FORMATS.join(", ")}`, {
            location: { field: "--format" },
          });
        }
        const samples = parseIndex(opts.samples, "--samples");
        const soaText =
          opts.soa === undefined ? undefined : await readSmallFile(opts.soa, "--soa", 4 << 20);
        const soa = soaText === undefined ? undefined : parseSoa(soaText, opts.soa);
        return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const period = {
            ...(opts.from === undefined ? {} : { from: opts.from }),
            ...(opts.to === undefined ? {} : { to: opts.to }),
          };
          let report: EvidenceReport;
          if (src.client) {
            // Without --soa the server reports against its own (`serve --soa`); with it, the
            // file (checked here first) goes in the request's body.
            report = await src.client.evidence({
              samples,
              ...period,
              ...(soaText === undefined ? {} : { soa: soaText, source: opts.soa }),
            });
          } else {
            report = await evidenceReport(src.log, {
              samples,
              ...(soa === undefined ? {} : { soa, soaSource: opts.soa }),
              ...period,
            });
          }
          const text = renderEvidence(report, opts.format);
          if (opts.out === undefined) process.stdout.write(text);
          else {
            try {
              await writeFile(opts.out, text);
            } catch (e) {
              throw new LogsealError("E_IO", `cannot write ${opts.out}: ${(e as Error).message}`, {
                location: { file: opts.out },
              });
            }
            const s = report.summary;
            note(
              `wrote ${opts.out}: ${s.applicable} applicable controls, ${s.evidenced} evidenced, ${s.gaps} gaps, ${s.excluded} excluded; checkpoint size ${report.checkpoint.size}`,
            );
          }
          return undefined;
        });
      }),
    );
}
