import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type Checkpoint,
  type Failure,
  LogClient,
  type LogReader,
  LogsealError,
  openSavedCheckpoint,
  openStoreForVerify,
  type ProofResult,
  parseProof,
  parseVkey,
  TilesReader,
  toBase64,
  type Verifier,
  type VerifyReport,
  verifyLog,
  verifyProof,
} from "../../src/index.js";
import { parseIndex, parseKeys, storeDir } from "../args.js";
import { EXIT_INTEGRITY, EXIT_OK } from "../exit-codes.js";
import { plural } from "../format.js";
import { out, print, printJson } from "../output.js";
import { progressBar } from "../progress.js";
import { type RemoteOptions, remoteOptions, run, serverHolding } from "../run.js";
import { openOptions } from "../vault.js";
import { checkBundle } from "./verify-bundle.js";

interface VerifyOpts {
  store?: string;
  tiles?: string;
  proof?: string;
  bundle?: string;
  since?: string;
  key: string[];
  keys?: string;
  trustStoreKey?: boolean;
  checkEvents?: boolean;
  maxFailures?: string;
  workers?: string;
  json?: boolean;
}

/** Proof files are a few kilobytes; refuse anything far larger before parsing it. */
const MAX_PROOF_BYTES = 4 << 20;

export function register(program: Command): void {
  program
    .command("verify")
    .description(
      "rebuild the tree from every entry and check every hash tile and checkpoint (a store or a tiles directory), or check one proof offline",
    )
    .option("--store <dir>", "store directory")
    .option(
      "--tiles <dir|url>",
      "verify a C2SP tlog-tiles log instead: a directory (logseal export --tiles) or an http(s):// prefix",
    )
    .option("--proof <file>", "check one proof (logseal prove … --json; - for stdin), no store")
    .option(
      "--bundle <file>",
      "check an evidence bundle (logseal export --bundle) offline, no store",
    )
    .option(
      "--since <file>",
      "a checkpoint you saved earlier: prove the log extends it and verify only what came after",
    )
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
    .option(
      "--check-events",
      "also decode every entry as a canonical event of schema v1 (slower; integrity does not depend on it)",
    )
    .option("--max-failures <n>", "list at most N failures (the rest are counted)", "20")
    .option("--workers <n>", "hashing threads (default: one per core for large logs; 0: none)")
    .option("--json", "print the report as JSON (formats/verify-report.md)")
    .action((opts: VerifyOpts, cmd: Command) =>
      run(opts.json === true, async () => {
        const remote = remoteOptions(cmd);
        const maxFailures = parseIndex(opts.maxFailures ?? "20", "--max-failures");
        const workers =
          opts.workers === undefined ? undefined : parseIndex(opts.workers, "--workers");
        checkUsage(opts, remote);
        const pinned = parseKeys(opts.key, "--key");
        if (opts.keys !== undefined) pinned.push(...(await readKeysFile(opts.keys)));
        const since = opts.since === undefined ? undefined : await readText(opts.since, "--since");
        if (opts.proof !== undefined) return checkProof(opts, opts.proof, pinned, since);
        if (opts.bundle !== undefined) {
          if (pinned.length === 0) throw pinAKey();
          return checkBundle(opts.bundle, pinned, opts.json === true);
        }
        if (pinned.length === 0 && !opts.trustStoreKey) throw pinAKey();

        const verify = async (
          reader: LogReader,
          keys: Verifier[],
          pinnedKey: boolean,
          source: Source,
        ) => {
          const bar = progressBar(!opts.json && process.stderr.isTTY === true);
          let report: VerifyReport;
          try {
            report = await verifyLog(reader, {
              keys,
              maxFailures,
              onProgress: bar.update,
              checkEvents: opts.checkEvents === true,
              ...(since !== undefined ? { since } : {}),
              ...(workers !== undefined ? { workers } : {}),
            });
          } finally {
            bar.done();
          }
          if (opts.json) {
            const { ok, mode, ...rest } = report;
            printJson({
              ok,
              mode: mode === "full" && source.type !== "store" ? "tiles" : mode,
              source,
              ...rest,
              keys: keys.map((k) => ({ vkey: k.vkey, pinned: pinnedKey })),
            });
          } else {
            render(report, keys, pinnedKey, source);
          }
          return report.ok ? EXIT_OK : EXIT_INTEGRITY;
        };

        if (opts.tiles !== undefined) {
          const token = TilesReader.isUrl(opts.tiles) ? tokenOf(remote) : {};
          const reader = await TilesReader.open(opts.tiles, token);
          return verify(reader, pinned, true, { type: "tiles", path: opts.tiles });
        }
        // Through a server: its tlog-tiles read API and its checkpoint history, checked with the
        // same verifier as a store (the server's answers are claims like any stored bytes).
        const viaServer = async (url: string) => {
          const reader = await TilesReader.open(url, { ...tokenOf(remote), history: true });
          const own = pinned.length === 0;
          const keys = own
            ? [parseVkey((await new LogClient(url, tokenOf(remote)).info()).vkey)]
            : pinned;
          return verify(reader, keys, !own, { type: "server", path: url });
        };
        if (remote.server !== undefined) return viaServer(remote.server);
        const dir = storeDir(opts.store);
        let store: Awaited<ReturnType<typeof openStoreForVerify>>;
        try {
          store = await openStoreForVerify(dir, openOptions());
        } catch (e) {
          const url = await serverHolding(dir, e);
          if (url === undefined) throw e;
          return viaServer(url);
        }
        try {
          const own = pinned.length === 0;
          const keys = own ? [parseVkey(store.vkey)] : pinned;
          return await verify(store, keys, !own, { type: "store", path: dir });
        } finally {
          await store.close();
        }
      }),
    );
}

function usage(message: string): LogsealError {
  return new LogsealError("E_USAGE", message);
}

function pinAKey(): LogsealError {
  return usage(
    "pin the log's verifier key with --key VKEY or --keys FILE (an auditor gets it from the log operator, not from the store); --trust-store-key uses the store's own key and proves only that the store agrees with itself",
  );
}

/** Where a report's log was read: a store, a tiles directory or prefix, a server's API. */
type Source = { type: "store" | "tiles" | "server"; path: string };

function tokenOf(remote: RemoteOptions): { token?: string } {
  return remote.token === undefined ? {} : { token: remote.token };
}

function checkUsage(opts: VerifyOpts, remote: RemoteOptions): void {
  const sources = [
    opts.store !== undefined && "--store",
    remote.server !== undefined && "--server",
    opts.tiles !== undefined && "--tiles",
    opts.proof !== undefined && "--proof",
    opts.bundle !== undefined && "--bundle",
  ].filter((s): s is string => s !== false);
  if (sources.length > 1) {
    throw usage(`${sources.join(" and ")} name different things to verify: give one of them`);
  }
  if (opts.bundle !== undefined && (opts.since !== undefined || opts.checkEvents)) {
    throw usage("--since and --check-events go with a store or a tiles directory, not a bundle");
  }
  if (
    opts.trustStoreKey &&
    (opts.tiles !== undefined || opts.proof !== undefined || opts.bundle !== undefined)
  ) {
    throw usage(
      "--trust-store-key needs a store or a server: a tiles log, a proof or a bundle has no key of its own to trust; pin one with --key",
    );
  }
  if (opts.proof !== undefined && opts.checkEvents) {
    throw usage("--check-events needs a store or a tiles directory, not a proof");
  }
}

async function checkProof(
  opts: VerifyOpts,
  file: string,
  keys: Verifier[],
  sinceNote: string | undefined,
): Promise<number> {
  if (keys.length === 0) throw pinAKey();
  const text = await readText(file, "--proof", MAX_PROOF_BYTES);
  let p: ReturnType<typeof parseProof>;
  try {
    p = parseProof(text);
  } catch (e) {
    if (e instanceof LogsealError) {
      throw new LogsealError(e.code, e.message, {
        location: { file, ...e.location },
        cause: e,
      });
    }
    throw e;
  }
  let since: { checkpoint: Checkpoint; verifiedBy: string[] } | undefined;
  if (sinceNote !== undefined) {
    if (p.type !== "consistency") {
      throw usage(
        "--since goes with a consistency proof: an inclusion proof starts from no checkpoint",
      );
    }
    const origin = p.checkpoint.slice(0, Math.max(0, p.checkpoint.indexOf("\n")));
    since = openSavedCheckpoint(sinceNote, keys, origin);
  }
  const r = verifyProof(p, keys, since?.checkpoint);
  const sinceRef =
    since === undefined
      ? {}
      : {
          since: {
            size: since.checkpoint.size,
            root: toBase64(since.checkpoint.root),
            verifiedBy: since.verifiedBy,
          },
        };
  if (opts.json) {
    const { ok, mode, ...rest } = r;
    printJson({
      ok,
      mode,
      source: { type: "proof", path: file },
      ...rest,
      ...sinceRef,
      keys: keys.map((k) => ({ vkey: k.vkey, pinned: true })),
    });
  } else {
    renderProof(r, keys);
  }
  return r.ok ? EXIT_OK : EXIT_INTEGRITY;
}

function renderKeys(keys: Verifier[], pinned: boolean): void {
  if (!pinned) {
    print(
      out.red(
        "warning: the key was read from the store itself, not pinned: this shows the store agrees with itself, not that it is the log you trust",
      ),
    );
  }
  for (const k of keys)
    print(`key ${k.vkey}${pinned ? " (pinned)" : " (from the store, not pinned)"}`);
}

function renderFailures(failures: Failure[], more: number): void {
  print(out.red(`FAILED: ${plural(failures.length + more, "integrity failure")}`));
  for (const f of failures) print(`  ${f.message}`);
  if (more > 0) print(`  … and ${more} more`);
}

function render(r: VerifyReport, keys: Verifier[], pinned: boolean, source: Source): void {
  const head = `log ${r.origin}: ${plural(r.size, "entry", "entries")}, rebuilt tree head ${r.root || "(not rebuilt)"}`;
  print(source.type === "store" ? head : `${source.type} ${source.path}: ${head}`);
  renderKeys(keys, pinned);
  if (r.since !== undefined) {
    print(
      `since: your checkpoint of size ${r.since.size}, root ${r.since.root}, signed by ${r.since.verifiedBy.join(", ")}`,
    );
    if (r.latest !== undefined) {
      print(
        `latest: checkpoint of size ${r.latest.size}, root ${r.latest.root}, signed by ${r.latest.verifiedBy.join(", ")}`,
      );
    }
    const c = r.consistency;
    if (c !== undefined) {
      print(
        `consistency ${c.from} -> ${c.to}: ${c.ok ? "proved" : "NOT proved"}, proof of ${plural(c.proof.length, "hash", "hashes")}${c.proof.length > 0 ? ":" : ""}`,
      );
      for (const h of c.proof) print(`  ${h}`);
    }
  }
  const verified = r.checkpoints.filter((c) => c.ok).length;
  const checkpoints = `${verified} of ${r.checkpoints.length} checkpoints verified`;
  const events = r.eventsChecked ? ", every event decoded" : "";
  if (!r.ok) {
    renderFailures(r.failures, r.moreFailures);
    return;
  }
  if (r.mode === "incremental") {
    const range = r.entries === 0 ? "no entry" : `entries ${r.start}..${r.start + r.entries - 1}`;
    print(
      out.green(
        `ok: the log extends your checkpoint; ${range} rebuilt, ${plural(r.tiles, "hash tile")}, ${checkpoints}${events}`,
      ),
    );
  } else {
    print(
      out.green(
        `ok: ${r.entries} entries, ${plural(r.tiles, "hash tile")}, ${checkpoints}${events}`,
      ),
    );
  }
  const latest = r.checkpoints.at(-1);
  if (latest)
    print(
      `latest checkpoint: size ${latest.size}, root ${latest.root}, signed by ${latest.verifiedBy.join(", ")}`,
    );
  else print("no checkpoint has been signed yet: entries and tiles agree, but nothing is signed");
}

function renderProof(r: ProofResult, keys: Verifier[]): void {
  const p = r.proof;
  if (p.type === "inclusion") {
    print(
      `inclusion proof: entry ${p.index} (leaf hash ${p.leafHash}) in the tree of size ${p.size}`,
    );
  } else {
    print(
      `consistency proof: the tree of size ${p.from} (root ${p.fromRoot}) is a prefix of the tree of size ${p.to} (root ${p.toRoot})`,
    );
  }
  renderKeys(keys, true);
  const c = r.checkpoint;
  if (c.verifiedBy.length > 0) {
    print(
      `checkpoint: ${r.origin}, size ${c.size}, root ${c.root}, signed by ${c.verifiedBy.join(", ")}`,
    );
  }
  if (r.ok) print(out.green("ok: the proof holds against the signed checkpoint"));
  else renderFailures(r.failures, r.moreFailures);
}

async function readText(file: string, option: string, max?: number): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = file === "-" && option === "--proof" ? await readStdin() : await readFile(file);
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read ${option} ${file}: ${(e as Error).message}`, {
      location: { file },
    });
  }
  if (max !== undefined && bytes.length > max) {
    throw new LogsealError("E_INPUT_JSON", `${file} is larger than ${max} bytes: not a proof`, {
      location: { file },
    });
  }
  return bytes.toString("utf8");
}

async function readStdin(): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts);
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
