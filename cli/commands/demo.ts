import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import {
  DEFAULT_CONTROLS_POLICY,
  demoScenario,
  demoSoa,
  evidenceReport,
  evidenceToHtml,
  evidenceToMarkdown,
  init,
  LogsealError,
  open,
  parseVkey,
  verifyLog,
} from "../../src/index.js";
import { EXIT_INTEGRITY, EXIT_OK } from "../exit-codes.js";
import { out, print } from "../output.js";
import { run } from "../run.js";

export const DEMO_ORIGIN = "example.com/logseal/demo";

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "create a demo store with a realistic AI-data scenario, sign, verify, and show what to try",
    )
    .option("--store <dir>", "demo store directory", ".logseal-demo")
    .action((opts: { store: string }) =>
      run(false, async () => {
        const dir = opts.store;
        await replaceOldDemo(dir);
        const log = await init(dir, {
          origin: DEMO_ORIGIN,
          controlsPolicy: DEFAULT_CONTROLS_POLICY,
        });
        let ok = false;
        let size = 0;
        let checkpoints = 0;
        try {
          print(`creating a demo log in ${dir} (origin ${DEMO_ORIGIN})`);
          for (const day of demoScenario()) {
            await log.append(day.events);
            await log.checkpoint();
            checkpoints++;
          }
          size = log.size;
          const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
          ok = report.ok;
          const kinds = new Map<string, number>();
          const first = new Map<string, number>();
          for (let i = 0; i < size; i++) {
            const { event } = await log.get(i);
            kinds.set(event.action, (kinds.get(event.action) ?? 0) + 1);
            if (!first.has(event.action)) first.set(event.action, i);
          }
          const masked = first.get("pii.mask") ?? 0;
          const denied = first.get("access.denied") ?? 0;
          print(`appended ${size} events over 14 days, signed ${checkpoints} checkpoints:`);
          print(`  ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`);
          print(
            ok
              ? out.green(
                  `verified: every entry, hash tile and checkpoint checks out against ${log.vkey}`,
                )
              : out.red("verification FAILED"),
          );
          // ISO/IEC 27001 evidence for the demo organisation's Statement of Applicability.
          const soa = demoSoa();
          const soaFile = join(dir, "soa.json");
          await writeFile(soaFile, `${JSON.stringify(soa, null, 2)}\n`);
          const evidence = await evidenceReport(log, { soa, soaSource: soaFile });
          const md = join(dir, "evidence.md");
          const html = join(dir, "evidence.html");
          await writeFile(md, evidenceToMarkdown(evidence));
          await writeFile(html, evidenceToHtml(evidence));
          const e = evidence.summary;
          print(
            `ISO/IEC 27001:2022 evidence (${soaFile}): ${e.applicable} applicable controls, ${e.evidenced} evidenced by ${e.events} events, ${e.gaps} gaps (${evidence.gaps.join(", ")}), ${e.outside} evidenced outside the log, ${e.excluded} excluded`,
          );
          print(`  report: ${md} and ${html} (one self-contained page, no scripts)`);
          const cli = "npx logseal";
          const s = `--store ${dir}`;
          print("");
          print(out.bold("try next:"));
          const tiles = join(dir, "..", "demo-tiles");
          const hints: Array<[string, string]> = [
            [`show ${masked} ${s}`, "a pii.mask event"],
            [`show ${denied} ${s} --json`, "a denied access, with its exact leaf"],
            [`verify ${s} --key ${log.vkey}`, "what an auditor runs, with the key pinned"],
            [`prove inclusion ${denied} ${s} --json`, "a proof anyone can check offline"],
            [`prove consistency 100 ${s}`, "the latest tree extends the tree of size 100"],
            [`checkpoint --list ${s}`, "every signed tree head"],
            [`export ${s} --tiles ${tiles}`, "C2SP tlog-tiles, servable as static files"],
            [
              `evidence ${s} --soa ${soaFile} --format html --out evidence.html`,
              "the ISO 27001 evidence report, per control",
            ],
            [
              `export ${s} --bundle a811.json --control A.8.11`,
              "an evidence pack for an auditor; check it with verify --bundle",
            ],
          ];
          for (const [cmd, why] of hints) {
            print(`  ${out.dim(`# ${why}`)}`);
            print(`  ${cli} ${cmd}`);
          }
          // In a terminal, the demo ends by offering the TUI on its store: a command line to
          // run, never a prompt that waits (CI runs the demo without a TTY).
          if (process.stdout.isTTY === true) {
            print("");
            print(out.bold("browse, tail and audit it in the terminal UI (q quits):"));
            print(`  ${cli} tui ${s} --soa ${soaFile}`);
          }
        } finally {
          await log.close();
        }
        return ok ? EXIT_OK : EXIT_INTEGRITY;
      }),
    );
}

/** Replaces an earlier demo store; refuses to touch anything else. */
async function replaceOldDemo(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch {
    return;
  }
  let origin: string | undefined;
  try {
    const old = await open(dir);
    origin = old.origin;
    await old.close();
  } catch (e) {
    if (e instanceof LogsealError && e.code === "E_STORE_LOCKED") throw e;
  }
  if (origin !== DEMO_ORIGIN) {
    throw new LogsealError(
      "E_STORE_EXISTS",
      `${dir} exists and is not a logseal demo store: choose another --store`,
      {
        location: { file: dir },
      },
    );
  }
  await rm(dir, { recursive: true, force: true });
}
