import type { Command } from "commander";
import { LogsealError, type RevealReport, revealEntry } from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { out, print, printJson } from "../output.js";
import { remoteOptions, run, type Source, withSource } from "../run.js";

export function register(program: Command): void {
  program
    .command("reveal")
    .description(
      "show the clear values masked in an entry, checked against their commitments (needs the vault key; logged as pii.reveal; through 'logseal serve' when it holds the store)",
    )
    .argument("<index>", "the entry")
    .option("--field <path>", "only the values masked at this path (details.customer.email)")
    .option("--store <dir>", "store directory")
    .option(
      "--actor <id>",
      "who asks, named in the pii.reveal event (default $USER; through a server: the token's name)",
    )
    .option("--reason <text>", "why, kept in the pii.reveal event")
    .option("--json", "print the values as JSON")
    .action(
      (
        index: string,
        opts: { field?: string; store?: string; actor?: string; reason?: string; json?: boolean },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          const i = parseIndex(index, "INDEX");
          const options = {
            ...(opts.field === undefined ? {} : { field: opts.field }),
            ...(opts.reason === undefined ? {} : { reason: opts.reason }),
          };
          const { report, actor } = await withSource(
            storeDir(opts.store),
            remoteOptions(cmd),
            async (source: Source) => {
              if (source.log !== undefined) {
                const actor = actorOf(opts.actor);
                return { report: await revealEntry(source.log, i, { actor, ...options }), actor };
              }
              serverActor(opts.actor);
              return { report: await source.client.reveal(i, options), actor: "the token's name" };
            },
          );
          if (opts.json) {
            printJson(report);
            return undefined;
          }
          printReveal(report, actor);
          return undefined;
        }),
    );
}

function printReveal(r: RevealReport, actor: string): void {
  for (const v of r.values) {
    const where = `${v.path}${v.key ? " (member name)" : ""} [${v.kind}]`;
    if (v.value === undefined) {
      print(
        `${where}: ${out.red("erased")}${v.erased == null ? "" : ` (data.erase at entry ${v.erased})`}`,
      );
    } else {
      print(`${where}: ${v.value}  ${out.green("commitment ok")}`);
    }
  }
  print(`logged as pii.reveal at entry ${r.logged} (actor ${actor})`);
}

/**
 * Through a server, who asks is the token's name: the server logs it, and a name given here
 * would be a claim nobody checked.
 */
export function serverActor(actor: string | undefined): void {
  if (actor !== undefined) {
    throw new LogsealError(
      "E_USAGE",
      "--actor cannot be used through a logseal server: the server names the token's name as who asks",
      { location: { field: "--actor" } },
    );
  }
}

/** `--actor`, else $USER, else "unknown". */
export function actorOf(actor: string | undefined): string {
  return actor ?? (process.env.USER || process.env.LOGNAME || "unknown");
}
