import type { Command } from "commander";
import { type ErasureReport, eraseSubject, LogsealError } from "../../src/index.js";
import { storeDir } from "../args.js";
import { plural } from "../format.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, type Source, withSource } from "../run.js";
import { actorOf, serverActor } from "./reveal.js";

export function register(program: Command): void {
  program
    .command("erase")
    .description(
      "erase a data subject: destroy its keys so its masked values can never be recovered (logged as data.erase; leaves and proofs stay valid; through 'logseal serve' when it holds the store)",
    )
    .requiredOption("--subject <subject>", "the data subject (a subject id, or the value itself)")
    .option("--store <dir>", "store directory")
    .option(
      "--actor <id>",
      "who erases, named in the data.erase event (default $USER; through a server: the token's name)",
    )
    .option("--reason <text>", "why (a request reference), kept in the data.erase event")
    .option("--json", "print the report as JSON")
    .action(
      (
        opts: {
          subject: string;
          store?: string;
          actor?: string;
          reason?: string;
          json?: boolean;
        },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          if (opts.subject === "") throw new LogsealError("E_USAGE", "--subject is empty");
          const options = opts.reason === undefined ? {} : { reason: opts.reason };
          const r: ErasureReport = await withSource(
            storeDir(opts.store),
            remoteOptions(cmd),
            async (source: Source) => {
              if (source.log !== undefined) {
                return eraseSubject(source.log, opts.subject, {
                  actor: actorOf(opts.actor),
                  ...options,
                });
              }
              serverActor(opts.actor);
              return source.client.erase(opts.subject, options);
            },
          );
          if (opts.json) {
            printJson(r);
            return undefined;
          }
          print(
            `erased subject ${r.subject}: ${plural(r.keys, "key")} destroyed, ${plural(r.fields.length, "value")} in ${plural(r.entries.length, "entry", "entries")} can no longer be revealed`,
          );
          for (const f of r.fields) print(`  entry ${f.index}  ${f.path}  [${f.kind}]`);
          print(
            `logged as data.erase at entry ${r.entry}; leaves, checkpoints and proofs are unchanged`,
          );
          return undefined;
        }),
    );
}
