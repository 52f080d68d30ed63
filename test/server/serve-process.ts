/** `logseal serve` as a child process of the test (the built CLI), and a store for it. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createToken, init } from "../../src/index.js";
import { MAIN, ORIGIN, tempDir } from "../cli/cli.js";

export interface StoreForServer {
  /** The temporary directory that holds the store (`<dir>/store`). */
  dir: string;
  store: string;
  /** A token for each role asked for, by role. */
  tokens: Record<string, string>;
  /** Removes the directory. */
  cleanup: () => Promise<void>;
}

/**
 * A fresh store in a temporary directory, set up with the library (each CLI run is a process
 * start): a token for each of `roles` (named `<role>-<tag>`), then `events` appended and a
 * checkpoint signed when there are any. The store is closed again, for a server to open.
 */
export async function storeForServer(
  tag: string,
  roles: readonly string[],
  events: unknown[] = [],
): Promise<StoreForServer> {
  const { dir, cleanup } = await tempDir();
  const store = join(dir, "store");
  const tokens: Record<string, string> = {};
  const log = await init(store, { origin: ORIGIN });
  try {
    for (const role of roles) {
      tokens[role] = (await createToken(log.store, { name: `${role}-${tag}`, role })).token;
    }
    if (events.length > 0) {
      await log.append(events);
      await log.checkpoint();
    }
  } finally {
    await log.close();
  }
  return { dir, store, tokens, cleanup };
}

export interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `logseal serve` on a free port and resolves once it prints its URL. */
export function serve(store: string, ...extra: string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [MAIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--json", ...extra],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      try {
        const { url } = JSON.parse(out.slice(0, nl)) as { url: string };
        resolve({ child, url, stderr: () => stderr, exited });
      } catch {
        reject(new Error(`serve printed ${out}`));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}
