/**
 * `<store>/server.json`: where the server that holds a store listens, so that other logseal
 * processes on the machine that find the store locked can go through it.
 *
 *   {"url":"http://127.0.0.1:7070","pid":4242,"started":"2026-11-26T08:00:00.000Z"}
 *
 * Written when the server listens, removed when it stops. A server killed with SIGKILL leaves
 * it behind; the next server overwrites it, and a reader checks that the pid is alive.
 */
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const SERVER_FILE = "server.json";

export interface ServerFile {
  url: string;
  pid: number;
  /** ISO 8601 UTC. */
  started: string;
}

export async function writeServerFile(dir: string, info: ServerFile): Promise<void> {
  const file = join(dir, SERVER_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(info)}\n`, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

/**
 * The server file of the store in `dir`, or undefined when there is none, it does not parse,
 * or its process is gone.
 */
export async function readServerFile(dir: string): Promise<ServerFile | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(join(dir, SERVER_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const o = value as Record<string, unknown>;
  if (
    typeof o !== "object" ||
    o === null ||
    typeof o.url !== "string" ||
    !/^https?:\/\//.test(o.url) ||
    typeof o.pid !== "number" ||
    !Number.isSafeInteger(o.pid) ||
    typeof o.started !== "string"
  ) {
    return undefined;
  }
  if (!alive(o.pid)) return undefined;
  return { url: o.url, pid: o.pid, started: o.started };
}

/** Removes the server file if it still names `pid`. */
export async function removeServerFile(dir: string, pid: number): Promise<void> {
  const file = join(dir, SERVER_FILE);
  try {
    const o = JSON.parse(await readFile(file, "utf8")) as { pid?: unknown };
    if (o.pid !== pid) return;
    await unlink(file);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
