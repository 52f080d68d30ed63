/** Runs a command body: maps thrown errors to exit codes and always closes the log. */
import type { Command } from "commander";
import {
  isLogsealError,
  type Log,
  LogClient,
  LogsealError,
  open,
  readServerFile,
} from "../src/index.js";
import { EXIT_OK } from "./exit-codes.js";
import { note, reportError } from "./output.js";
import { openOptions } from "./vault.js";

/** Runs `body`, sets the process exit code from its result or its error. */
export async function run(json: boolean, body: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? EXIT_OK;
  } catch (e) {
    process.exitCode = reportError(e, json);
  }
}

/** Opens the log in `dir`, runs `fn`, and closes the log whatever happens. */
export async function withLog<T>(dir: string, fn: (log: Log) => Promise<T>): Promise<T> {
  let log: Log;
  try {
    log = await open(dir, openOptions());
  } catch (e) {
    // Commands that need the store to themselves cannot go through a server: say which one.
    const held =
      isLogsealError(e) && e.code === "E_STORE_LOCKED" ? await readServerFile(dir) : undefined;
    if (held === undefined) throw e;
    throw new LogsealError(
      "E_STORE_LOCKED",
      `the store ${dir} is held by 'logseal serve' at ${held.url} (pid ${held.pid}), and this command needs it to itself: stop the server (SIGTERM) and run it again`,
      { cause: e },
    );
  }
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}

/** The global options that reach a server: `--server URL`, `--token T` (or `LOGSEAL_TOKEN`). */
export interface RemoteOptions {
  server?: string;
  token?: string;
}

export function remoteOptions(cmd: Command): RemoteOptions {
  const o = cmd.optsWithGlobals<RemoteOptions>();
  const token = o.token ?? process.env.LOGSEAL_TOKEN;
  return {
    ...(o.server === undefined ? {} : { server: o.server }),
    ...(token === undefined || token === "" ? {} : { token }),
  };
}

/** Where a command works: the store itself, or the server that holds it. */
export type Source = { log: Log; client?: undefined } | { log?: undefined; client: LogClient };

/**
 * Runs `fn` on the log in `dir`; with `--server`, or when the store is locked by a running
 * `logseal serve` (found through `<store>/server.json`), on that server instead.
 */
export async function withSource<T>(
  dir: string,
  remote: RemoteOptions,
  fn: (source: Source) => Promise<T>,
  options: { maxOpenFiles?: number } = {},
): Promise<T> {
  if (remote.server !== undefined) return fn({ client: client(remote.server, remote, undefined) });
  let log: Log;
  try {
    log = await open(dir, { ...openOptions(), ...options });
  } catch (e) {
    const url = await serverHolding(dir, e);
    if (url === undefined) throw e;
    return fn({ client: client(url, remote, dir) });
  }
  try {
    return await fn({ log });
  } finally {
    await log.close();
  }
}

/**
 * The URL of the running `logseal serve` that holds the store in `dir`, when `e` is the error
 * of opening a locked store and the server left its address there (`<store>/server.json`);
 * says on stderr that the command goes through it. Undefined for any other error.
 */
export async function serverHolding(dir: string, e: unknown): Promise<string | undefined> {
  if (!isLogsealError(e) || e.code !== "E_STORE_LOCKED") return undefined;
  const held = await readServerFile(dir);
  if (held === undefined) return undefined;
  note(
    `logseal: the store ${dir} is held by 'logseal serve' at ${held.url} (pid ${held.pid}); going through it`,
  );
  return held.url;
}

function client(url: string, remote: RemoteOptions, dir: string | undefined): LogClient {
  if (remote.token === undefined) {
    throw new LogsealError(
      "E_UNAUTHORIZED",
      `${dir === undefined ? `the logseal server at ${url}` : `the store ${dir} is held by the logseal server at ${url}, which`} needs a token: set LOGSEAL_TOKEN (or pass --token)`,
    );
  }
  return new LogClient(url, { token: remote.token });
}
