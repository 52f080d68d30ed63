import type { Command } from "commander";
import { importOpenLineage, LogsealError } from "../../src/index.js";
import { storeDir } from "../args.js";
import { readInput } from "../input.js";
import { print, printJson } from "../output.js";
import { run, withLog } from "../run.js";

export function register(program: Command): void {
  program
    .command("import")
    .description(
      "import OpenLineage RunEvents (one JSON object, a JSON array, or JSON lines) as events with lineage",
    )
    .argument("[file]", "input file, or - for standard input")
    .option("--openlineage [file]", "the input is OpenLineage RunEvents (FILE, or - for stdin)")
    .option("--store <dir>", "store directory")
    .option("--strict", "import nothing if any event cannot be imported")
    .option("--json", 'print {"read","appended","duplicates","problems","indexes","size"}')
    .action(
      (
        fileArg: string | undefined,
        opts: { openlineage?: string | boolean; store?: string; strict?: boolean; json?: boolean },
      ) =>
        run(opts.json === true, async () => {
          if (opts.openlineage === undefined) {
            throw new LogsealError(
              "E_USAGE",
              "say what the input is: --openlineage (the only format import reads so far)",
            );
          }
          const given = typeof opts.openlineage === "string" ? opts.openlineage : undefined;
          if (given !== undefined && fileArg !== undefined) {
            throw new LogsealError("E_USAGE", "give one input file");
          }
          const file = given ?? fileArg ?? "-";
          const name = file === "-" ? "<stdin>" : file;
          if (file === "-" && process.stdin.isTTY) {
            throw new LogsealError(
              "E_USAGE",
              "no input: give a FILE, or pipe RunEvents into 'logseal import --openlineage -'",
            );
          }
          const text = await readInput(file, name);
          return withLog(storeDir(opts.store), async (log) => {
            const r = await importOpenLineage(log, text, {
              file: name,
              ...(opts.strict ? { strict: true } : {}),
            });
            if (opts.json) {
              printJson(r);
              return undefined;
            }
            print(
              `read ${r.read} RunEvent${r.read === 1 ? "" : "s"}: appended ${r.appended}, ${r.duplicates} already in the log, ${r.problems.length} not imported`,
            );
            for (const p of r.problems) print(`  ${name}:${p.line}: ${p.reason}`);
            print(`tree size ${r.size}`);
            return undefined;
          });
        }),
    );
}
