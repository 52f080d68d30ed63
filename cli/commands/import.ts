import type { Command } from "commander";
import { type Appended, importOpenLineage, type LogClient, LogsealError } from "../../src/index.js";
import { storeDir } from "../args.js";
import { readInput } from "../input.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

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
        cmd: Command,
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
          return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
            const r = await importOpenLineage(
              src.log ?? ((events) => post(src.client as LogClient, events)),
              text,
              { file: name, ...(opts.strict ? { strict: true } : {}) },
            );
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

/**
 * Through a server, a batch is one all-or-nothing `POST /v1/events`; one whose JSON passes
 * 4 MiB (half the server's default body limit: RunEvents with schema facets run to tens of
 * KiB) is sent as two halves, each all or nothing.
 */
async function post(
  client: LogClient,
  events: readonly unknown[],
): Promise<{ entries: Appended[]; size: number }> {
  const body = JSON.stringify(events);
  if (Buffer.byteLength(body) <= MAX_POST_BYTES || events.length === 1) {
    return client.append(body);
  }
  const half = Math.ceil(events.length / 2);
  const a = await post(client, events.slice(0, half));
  const b = await post(client, events.slice(half));
  return { entries: [...a.entries, ...b.entries], size: b.size };
}

const MAX_POST_BYTES = 4 << 20;
