import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  LogsealError,
  parseVkey,
  type Verifier,
  type VerifyReport,
  verifyLog,
} from "../../src/index.js";
import { parseIndex, parseKeys, storeDir } from "../args.js";
import { EXIT_INTEGRITY, EXIT_OK } from "../exit-codes.js";
import { plural } from "../format.js";
import { out, print, printJson } from "../output.js";
import { progressBar } from "../progress.js";
import { run, withLog } from "../run.js";

interface VerifyOpts {
  store?: string;
  key: string[];
  keys?: string;
  trustStoreKey?: boolean;
  maxFailures?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("rebuild the tree from every entry and check every hash tile and checkpoint")
    .option("--store <dir>", "store directory")
    .option(
      "--key <vkey>",
      "a pinned verifier key (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--keys <file>", "a file of pinned verifier keys, one per line (# comments allowed)")
    .option(
      "--trust-store-key",
      "use the key the store names for itself (not pinned: proves only self-consistency)",
    )
    .option("--max-failures <n>", "list at most N failures (the rest are counted)", "20")
    .option("--json", "print the report as JSON (formats/verify-report.md)")
    .action((opts: VerifyOpts) =>
      run(opts.json === true, async () => {
        const maxFailures = parseIndex(opts.maxFailures ?? "20", "--max-failures");
        const pinned = parseKeys(opts.key, "--key");
        if (opts.keys !== undefined) pinned.push(...(await readKeysFile(opts.keys)));
        return withLog(storeDir(opts.store), async (log) => {
          let keys: Verifier[] = pinned;
          let pinnedKey = true;
          if (pinned.length === 0) {
            if (!opts.trustStoreKey) {
              throw new LogsealError(
                "E_USAGE",
                "pin the log's verifier key with --key VKEY or --keys FILE (an auditor gets it from the log operator, not from the store); --trust-store-key uses the store's own key and proves only that the store agrees with itself",
              );
            }
            keys = [parseVkey(log.vkey)];
            pinnedKey = false;
          }
          const bar = progressBar(!opts.json && process.stderr.isTTY === true);
          const report = await verifyLog(log.store, { keys, maxFailures, onProgress: bar.update });
          bar.done();
          if (opts.json) {
            printJson({ ...report, keys: keys.map((k) => ({ vkey: k.vkey, pinned: pinnedKey })) });
          } else {
            render(report, keys, pinnedKey);
          }
          return report.ok ? EXIT_OK : EXIT_INTEGRITY;
        });
      }),
    );
}

function render(r: VerifyReport, keys: Verifier[], pinned: boolean): void {
  print(`log ${r.origin}: ${plural(r.size, "entry", "entries")}, rebuilt tree head ${r.root}`);
  if (!pinned) {
    print(
      out.red(
        "warning: the key was read from the store itself, not pinned: this shows the store agrees with itself, not that it is the log you trust",
      ),
    );
  }
  for (const k of keys)
    print(`key ${k.vkey}${pinned ? " (pinned)" : " (from the store, not pinned)"}`);
  const verified = r.checkpoints.filter((c) => c.ok).length;
  if (r.ok) {
    print(
      out.green(
        `ok: ${r.entries} entries, ${plural(r.tiles, "hash tile")}, ${verified} of ${r.checkpoints.length} checkpoints verified`,
      ),
    );
    const latest = r.checkpoints.at(-1);
    if (latest)
      print(
        `latest checkpoint: size ${latest.size}, root ${latest.root}, signed by ${latest.verifiedBy.join(", ")}`,
      );
    else print("no checkpoint has been signed yet: entries and tiles agree, but nothing is signed");
    return;
  }
  const total = r.failures.length + r.moreFailures;
  print(out.red(`FAILED: ${plural(total, "integrity failure")}`));
  for (const f of r.failures) print(`  ${f.message}`);
  if (r.moreFailures > 0) print(`  … and ${r.moreFailures} more`);
}

async function readKeysFile(file: string): Promise<Verifier[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read keys file ${file}: ${(e as Error).message}`, {
      location: { file },
    });
  }
  const keys: Verifier[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      keys.push(parseVkey(line));
    } catch (e) {
      throw new LogsealError("E_KEY_INVALID", (e as Error).message, {
        location: { file, line: i + 1 },
        cause: e,
      });
    }
  }
  return keys;
}
