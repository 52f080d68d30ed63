import type { Command } from "commander";
import { type Appended, isLogsealError, LogsealError, parseEventsText } from "../../src/index.js";
import { storeDir } from "../args.js";
import { readInput } from "../input.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  program
    .command("append")
    .description("append events: one JSON object, a JSON array, or JSON lines; all or nothing")
    .argument("[file]", "input file, or - for standard input", "-")
    .option("--store <dir>", "store directory")
    .option("--checkpoint", "sign a checkpoint after appending")
    .option("--json", "print the assigned indexes as JSON")
    .action(
      (
        file: string,
        opts: { store?: string; json?: boolean; checkpoint?: boolean },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          const name = file === "-" ? "<stdin>" : file;
          if (file === "-" && process.stdin.isTTY) {
            throw new LogsealError(
              "E_USAGE",
              "no input: give a FILE, or pipe events into 'logseal append -'",
            );
          }
          const text = await readInput(file, name);
          const items = parseEventsText(text, name);
          return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
            let results: Appended[];
            let size: number;
            if (src.log) {
              results = await src.log.append(
                items.map((i) => i.value),
                { locate: (i) => ({ file: name, line: items[i]?.line ?? 0 }) },
              );
              size = src.log.size;
            } else {
              // The server reads the same text, so its errors name the same lines.
              ({ entries: results, size } = await src.client.append(text).catch((e: unknown) => {
                throw inFile(e, name);
              }));
            }
            const cp = opts.checkpoint
              ? src.log
                ? await src.log.checkpoint()
                : await src.client.checkpoint()
              : undefined;
            const appended = results.filter((r) => !r.duplicate);
            const duplicates = results.length - appended.length;
            if (opts.json) {
              printJson({
                size,
                appended: appended.length,
                duplicates,
                entries: results,
                ...(cp ? { checkpoint: cp.note } : {}),
              });
            } else {
              const first = appended[0]?.index;
              const last = appended.at(-1)?.index;
              print(
                appended.length === 0
                  ? "appended nothing"
                  : `appended ${appended.length} event${appended.length === 1 ? "" : "s"} (index ${first === last ? first : `${first}..${last}`})`,
              );
              if (duplicates > 0) {
                print(
                  `${duplicates} already in the log by id: ${results
                    .filter((r) => r.duplicate)
                    .map((r) => `${r.id} at ${r.index}`)
                    .join(", ")}`,
                );
              }
              print(`tree size ${size}${cp ? `, checkpoint signed` : ""}`);
            }
            return undefined;
          });
        }),
    );
}

/** A server's error about line N of the request, as an error about line N of `file`. */
function inFile(e: unknown, file: string): unknown {
  if (!isLogsealError(e) || e.location?.line === undefined) return e;
  return new LogsealError(e.code, e.message, {
    location: { ...e.location, file },
    ...(e.details ? { details: e.details } : {}),
    cause: e.cause,
  });
}
