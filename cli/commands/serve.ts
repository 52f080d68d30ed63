import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  indexStatus,
  isLogsealError,
  LogsealError,
  listTokens,
  open,
  parseSoa,
  type ServerOptions,
  startServer,
} from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { note, print } from "../output.js";
import { run } from "../run.js";
import { openOptions } from "../vault.js";
import { readSmallFile } from "./soa.js";

interface ServeOpts {
  store?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  checkpointInterval: string;
  rateLimit: string;
  maxBody: string;
  soa?: string;
  sync?: boolean;
  ingestWorkers?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "own the store and serve it over HTTP: ingest, reads, proofs, tiles, live tail (formats/http-api.md)",
    )
    .option("--store <dir>", "store directory")
    .option(
      "--listen <host:port>",
      "address to listen on (port 0: any free port)",
      "127.0.0.1:7070",
    )
    .option("--tls-cert <file>", "PEM certificate chain: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of the certificate")
    .option(
      "--checkpoint-interval <seconds>",
      "sign a checkpoint this often when the tree grew (0: only on request and at shutdown)",
      "5",
    )
    .option("--rate-limit <n>", "requests per second per token (bursts of twice as many)", "1000")
    .option("--max-body <bytes>", "largest request body", String(8 * 1024 * 1024))
    .option(
      "--soa <file>",
      "the Statement of Applicability GET /v1/evidence reports against (default: every control applicable)",
    )
    .option(
      "--sync",
      "fsync each group commit before acknowledging it: appends survive a machine crash, not only kill -9",
    )
    .option(
      "--ingest-workers <n>",
      "threads that parse and validate request bodies (default: one fewer than the cores, 1 to 4; 0: the main thread)",
    )
    .option("--json", "print {url, pid, store} as one JSON line once listening")
    .action((opts: ServeOpts) =>
      run(opts.json === true, async () => {
        const dir = storeDir(opts.store);
        const { host, port } = parseListen(opts.listen);
        const interval = parseIndex(opts.checkpointInterval, "--checkpoint-interval");
        const rate = parseIndex(opts.rateLimit, "--rate-limit");
        if (rate < 1) throw new LogsealError("E_USAGE", "--rate-limit must be at least 1");
        const maxBody = parseIndex(opts.maxBody, "--max-body");
        const workers =
          opts.ingestWorkers === undefined
            ? undefined
            : parseIndex(opts.ingestWorkers, "--ingest-workers");
        if (workers !== undefined && workers > 16) {
          throw new LogsealError("E_USAGE", "--ingest-workers must be 0 to 16", {
            location: { field: "--ingest-workers" },
          });
        }
        const tls = await readTls(opts.tlsCert, opts.tlsKey);
        const soa =
          opts.soa === undefined
            ? undefined
            : {
                soa: parseSoa(await readSmallFile(opts.soa, "--soa", 4 << 20), opts.soa),
                source: opts.soa,
              };
        const keyed = openOptions();
        const log = await open(dir, {
          ...keyed,
          ...(opts.sync ? { sync: true } : {}),
          writeBufferSize: SERVE_WRITE_BUFFER,
        });
        let server: Awaited<ReturnType<typeof startServer>>;
        let vaultNote: string | undefined;
        try {
          // The vault key, for POST /v1/privacy/reveal: a key given and wrong fails now, not at
          // the first reveal; without one (and no <store>/vault.key) the server still serves.
          try {
            await log.store.vaultKey();
          } catch (e) {
            if (keyed.vaultKey !== undefined || !isLogsealError(e)) throw e;
            if (e.code !== "E_VAULT_MISSING") {
              vaultNote = `logseal serve: no vault key (${e.code}), so reveal through this server answers E_VAULT_KEY_MISSING: restart it with --vault-key FILE, LOGSEAL_VAULT_KEY or LOGSEAL_VAULT_PASSPHRASE to allow it`;
            }
          }
          const options: ServerOptions = {
            host,
            port,
            checkpointInterval: interval * 1000,
            rateLimit: { rate, burst: rate * 2 },
            maxBodyBytes: maxBody,
            onError: (e) => note(`logseal serve: ${e instanceof Error ? e.message : String(e)}`),
          };
          if (tls !== undefined) options.tls = tls;
          if (soa !== undefined) options.soa = soa;
          if (workers !== undefined) options.ingestWorkers = workers;
          server = await startServer(log, options);
        } catch (e) {
          await log.close();
          throw e;
        }
        if (opts.json) {
          print(JSON.stringify({ url: server.url, pid: process.pid, store: dir }));
        } else {
          print(`logseal serve: listening on ${server.url} (store ${dir}, ${log.size} entries)`);
        }
        if (vaultNote !== undefined) note(vaultNote);
        if (!(await indexStatus(log.store)).current) {
          note(
            `logseal serve: the store's lineage and query indexes are missing or behind the log (written before they existed), so /v1/events, /v1/lineage and /v1/assets answer E_INDEX_STALE: stop the server and run 'logseal reindex --store ${dir}' once`,
          );
        }
        if ((await listTokens(log.store)).every((t) => t.revoked !== undefined)) {
          note(
            `logseal serve: no active tokens, so every request but /healthz is refused: stop the server and run 'logseal token create --role admin --name NAME --store ${dir}'`,
          );
        }
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            note(`logseal serve: ${signal}: finishing in-flight appends and signing a checkpoint`);
            // A second signal does not wait: what was acknowledged is in LevelDB already.
            process.once("SIGINT", () => process.exit(130));
            process.once("SIGTERM", () => process.exit(143));
            resolve();
          };
          process.once("SIGINT", () => stop("SIGINT"));
          process.once("SIGTERM", () => stop("SIGTERM"));
        });
        try {
          const final = await server.close();
          const size = log.size;
          note(
            `logseal serve: stopped at tree size ${size}${final ? `, latest checkpoint of size ${final.size}` : ""}`,
          );
        } finally {
          await log.close();
        }
        return undefined;
      }),
    );
}

/** `HOST:PORT`, `[IPv6]:PORT` or `PORT`. */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new LogsealError(
      "E_USAGE",
      `--listen must be HOST:PORT (such as 127.0.0.1:7070), got ${JSON.stringify(text)}`,
      { location: { field: "--listen" } },
    );
  }
  const host = (m[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}

async function readTls(
  cert: string | undefined,
  key: string | undefined,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new LogsealError("E_USAGE", "HTTPS needs both --tls-cert and --tls-key");
  }
  const read = async (file: string) => {
    try {
      return await readFile(file);
    } catch (e) {
      throw new LogsealError("E_IO", `cannot read ${file}: ${(e as Error).message}`, {
        location: { file },
        cause: e,
      });
    }
  };
  return { cert: await read(cert), key: await read(key) };
}

/**
 * LevelDB's memtable for the server, the long-running writer: 32 MiB instead of LevelDB's
 * 4 MiB. (measured, bench:serve 15 s runs alternating 4 / 32 / 64 MiB, load 3.9–7.4, 2-core
 * AMD EPYC, Node 20.20) Server CPU per 1,000 events 45.1 and 54.9 ms at 4 MiB, 36.9 and 38.7 at
 * 32, 41.4 and 36.4 at 64; LevelDB's compaction thread from 10.5–11.2 µs an event to 3.0–3.1
 * (the partial bundle and tiles each group commit rewrites no longer reach level 0 as often).
 * At most twice this is held in memory (one memtable written while the next fills), and the
 * write-ahead log replayed after a crash is at most this long.
 */
const SERVE_WRITE_BUFFER = 32 << 20;
