import type { Command } from "commander";
import { revealEntry } from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { out, print, printJson } from "../output.js";
import { run, withLog } from "../run.js";

export function register(program: Command): void {
  program
    .command("reveal")
    .description(
      "show the clear values masked in an entry, checked against their commitments (needs the vault key; logged as pii.reveal)",
    )
    .argument("<index>", "the entry")
    .option("--field <path>", "only the values masked at this path (details.customer.email)")
    .option("--store <dir>", "store directory")
    .option("--actor <id>", "who asks, named in the pii.reveal event (default $USER)")
    .option("--reason <text>", "why, kept in the pii.reveal event")
    .option("--json", "print the values as JSON")
    .action(
      (
        index: string,
        opts: { field?: string; store?: string; actor?: string; reason?: string; json?: boolean },
      ) =>
        run(opts.json === true, async () => {
          const i = parseIndex(index, "INDEX");
          const actor = actorOf(opts.actor);
          return withLog(storeDir(opts.store), async (log) => {
            const r = await revealEntry(log, i, {
              actor,
              ...(opts.field === undefined ? {} : { field: opts.field }),
              ...(opts.reason === undefined ? {} : { reason: opts.reason }),
            });
            if (opts.json) {
              printJson(r);
              return undefined;
            }
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
            return undefined;
          });
        }),
    );
}

/** `--actor`, else $USER, else "unknown". */
export function actorOf(actor: string | undefined): string {
  return actor ?? (process.env.USER || process.env.LOGNAME || "unknown");
}
