import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { checkSoa, LogsealError, readSoaJson, soaTemplate } from "../../src/index.js";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { note, out, print, printJson } from "../output.js";
import { run } from "../run.js";

/** SoA files are a few tens of kilobytes; refuse anything far larger before parsing it. */
const MAX_SOA_BYTES = 4 << 20;

export async function readSmallFile(file: string, option: string, max: number): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read ${option} ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  if (bytes.length > max) {
    throw new LogsealError("E_USAGE", `${file} is larger than ${max} bytes`, {
      location: { file },
    });
  }
  return bytes.toString("utf8");
}

export function register(program: Command): void {
  const soa = program
    .command("soa")
    .description("the Statement of Applicability: write a template, check one");
  soa
    .command("init")
    .description(
      "write an SoA template listing every Annex A control (applicable, justification, status, owner, evidence query)",
    )
    .option("--out <file>", "write it to FILE (refuses to overwrite) instead of stdout")
    .action((opts: { out?: string }) =>
      run(false, async () => {
        const text = `${JSON.stringify(soaTemplate(), null, 2)}\n`;
        if (opts.out === undefined) {
          process.stdout.write(text);
          return EXIT_OK;
        }
        try {
          await writeFile(opts.out, text, { flag: "wx" });
        } catch (e) {
          const exists = (e as NodeJS.ErrnoException).code === "EEXIST";
          throw new LogsealError(
            exists ? "E_USAGE" : "E_IO",
            exists
              ? `${opts.out} exists: choose another --out, or remove it first`
              : `cannot write ${opts.out}: ${(e as Error).message}`,
            { location: { file: opts.out } },
          );
        }
        note(
          `wrote an SoA template with every Annex A control to ${opts.out}: fill it in, then run 'logseal soa check ${opts.out}'`,
        );
        return EXIT_OK;
      }),
    );
  soa
    .command("check")
    .description(
      "check an SoA: every control once, every exclusion justified, every evidence query valid",
    )
    .argument("<file>", "the SoA (JSON, as 'logseal soa init' writes it)")
    .option("--json", 'print {"ok", "problems":[{code, control, field, message}]}')
    .action((file: string, opts: { json?: boolean }) =>
      run(opts.json === true, async () => {
        const text = await readSmallFile(file, "SoA", MAX_SOA_BYTES);
        const { soa: parsed, problems } = checkSoa(readSoaJson(text, file));
        if (opts.json) {
          printJson({
            ok: problems.length === 0,
            file,
            problems,
            ...(parsed ? { summary: summary(parsed.controls) } : {}),
          });
        } else if (problems.length > 0) {
          for (const p of problems) {
            note(`logseal: ${p.code}: ${file}: field ${p.field}: ${p.message}`);
          }
          note(`${problems.length} problem${problems.length === 1 ? "" : "s"} in ${file}`);
        } else if (parsed !== undefined) {
          const s = summary(parsed.controls);
          print(
            out.green(
              `ok: ${file} lists all ${parsed.controls.length} Annex A controls once: ${s.applicable} applicable (${s.implemented} implemented), ${s.excluded} excluded with a justification, ${s.queries} evidence queries valid`,
            ),
          );
        }
        return problems.length === 0 ? EXIT_OK : EXIT_USAGE;
      }),
    );
}

function summary(
  controls: ReadonlyArray<{ applicable: boolean; status: string; evidence: string | null }>,
) {
  return {
    applicable: controls.filter((c) => c.applicable).length,
    implemented: controls.filter((c) => c.status === "implemented").length,
    excluded: controls.filter((c) => !c.applicable).length,
    queries: controls.filter((c) => c.evidence !== null).length,
  };
}
