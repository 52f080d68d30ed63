import type { Command } from "commander";
import {
  type Event,
  type EventsQuery,
  LogsealError,
  parseEventsQuery,
  query,
  queryCursor,
  queryStream,
} from "../../src/index.js";
import { storeDir } from "../args.js";
import { note, print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

interface Options {
  store?: string;
  actor?: string;
  action?: string;
  asset?: string;
  control?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
  jsonl?: boolean;
}

function line(index: number, e: Event): string {
  const ts = new Date(e.ts).toISOString();
  return `${String(index).padStart(6)}  ${ts}  ${e.actor.id}  ${e.action}  ${e.outcome}${e.asset ? `  ${e.asset}` : ""}`;
}

export function register(program: Command): void {
  program
    .command("query")
    .description(
      "find events by actor, action, asset, control, outcome and time, in log order, a page at a time",
    )
    .option("--store <dir>", "store directory")
    .option("--actor <id>", "events by this actor id")
    .option("--action <action>", "events with this action (dataset.read)")
    .option("--asset <ref>", "events naming this asset (as asset, input or output)")
    .option("--control <id>", "events evidencing this Annex A control (A.8.11)")
    .option("--outcome <outcome>", "success, failure or denied")
    .option("--since <time>", "ts at or after: ISO 8601, now, or relative (-24h, -7d)")
    .option("--until <time>", "ts before: ISO 8601, now, or relative")
    .option("--limit <n>", "at most N events (default 100)")
    .option("--cursor <cursor>", "continue after the page that printed this cursor")
    .option("--json", 'print {"entries":[{"index","event"}],"cursor","more"}')
    .option("--jsonl", "print one {index, event} per line as found; the next cursor goes to stderr")
    .action((opts: Options, cmd: Command) =>
      run(opts.json === true, async () => {
        if (opts.json && opts.jsonl) {
          throw new LogsealError("E_USAGE", "choose one of --json and --jsonl");
        }
        // The same reading as GET /v1/events (src/server/query.ts), with the options' names.
        const q = parseEventsQuery((name) => opts[name as keyof Options] as string | undefined, {
          label: (name) => `--${name}`,
        });
        const limit = q.limit;
        return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          if (src.client) {
            // The server's pages are those of `query` (at most 1000 events a request); --jsonl
            // prints them as they come.
            const { limit: _, cursor: __, ...filters } = q;
            let cursor = q.cursor;
            let left = limit;
            let more = false;
            const entries: Array<{ index: number; event: Event }> = [];
            while (left > 0) {
              const page = await src.client.events({
                ...(filters as EventsQuery),
                limit: Math.min(left, 1000),
                ...(cursor === undefined ? {} : { cursor }),
              });
              if (opts.jsonl) {
                for (const h of page.events) process.stdout.write(`${JSON.stringify(h)}\n`);
              } else entries.push(...page.events);
              left -= page.events.length;
              cursor = page.cursor;
              more = page.more;
              if (!page.more || page.events.length === 0) break;
            }
            const last = cursor as string;
            if (opts.jsonl) note(`${more ? "more: " : ""}next page: --cursor ${last}`);
            else if (opts.json) printJson({ entries, cursor: last, more });
            else {
              if (entries.length === 0) print("no matching events");
              for (const h of entries) print(line(h.index, h.event));
              if (more) print(`more: --cursor ${last}`);
            }
            return undefined;
          }
          const log = src.log;
          if (opts.jsonl) {
            // Streamed: each entry is printed as soon as it is found; one more is looked for
            // to tell whether the page is the last.
            let last: number | undefined;
            let n = 0;
            let more = false;
            for await (const hit of queryStream(log.store, { ...q, limit: limit + 1 })) {
              if (n === limit) {
                more = true;
                break;
              }
              process.stdout.write(`${JSON.stringify({ index: hit.index, event: hit.event })}\n`);
              last = hit.index;
              n++;
            }
            const cursor = queryCursor(q, last ?? -1);
            note(`${more ? "more: " : ""}next page: --cursor ${cursor}`);
            return undefined;
          }
          const page = await query(log.store, q);
          if (opts.json) {
            printJson(page);
            return undefined;
          }
          if (page.entries.length === 0) print("no matching events");
          for (const h of page.entries) print(line(h.index, h.event));
          if (page.more) print(`more: --cursor ${page.cursor}`);
          return undefined;
        });
      }),
    );
}
