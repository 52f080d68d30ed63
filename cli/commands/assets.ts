import type { Command } from "commander";
import { assets } from "../../src/index.js";
import { storeDir } from "../args.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

const day = (ts: number) => {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().replace(/\.\d{3}Z$/, "Z");
};

export function register(program: Command): void {
  program
    .command("assets")
    .description(
      "list every asset the log names: kind, first and last seen, events, last actor, erased",
    )
    .option("--store <dir>", "store directory")
    .option("--kind <kind>", "only assets of this kind (dataset, model, run, job, …)")
    .option("--json", "print a JSON array of inventory records")
    .action((opts: { store?: string; kind?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const kind = opts.kind === undefined ? {} : { kind: opts.kind };
          const list = src.log ? await assets(src.log.store, kind) : await src.client.assets(kind);
          if (opts.json) {
            printJson(list);
            return undefined;
          }
          if (list.length === 0) {
            print(opts.kind === undefined ? "no assets yet" : `no assets of kind ${opts.kind}`);
            return undefined;
          }
          const rows = list.map((a) => [
            a.asset,
            String(a.events),
            `${day(a.firstTs)} #${a.first}`,
            `${day(a.lastTs)} #${a.last}`,
            a.lastActor,
            a.erased ? `erased #${a.erasedAt}` : "",
          ]);
          const head = ["ASSET", "EVENTS", "FIRST SEEN", "LAST SEEN", "LAST ACTOR", "ERASED"];
          const widths = head.map((h, i) =>
            Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)),
          );
          for (const r of [head, ...rows]) {
            print(
              r
                .map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
                .join("  ")
                .trimEnd(),
            );
          }
          return undefined;
        }),
      ),
    );
}
