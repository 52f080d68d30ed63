/** A real server on 127.0.0.1 (port 0) over a real LevelDB store in a temporary directory. */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createToken,
  init,
  type Log,
  type LogServer,
  type Role,
  revokeToken,
  type ServerOptions,
  startServer,
} from "../../src/index.js";
import { readEntries } from "../../src/server/entries.js";

export const ORIGIN = "example.com/logseal/server-test";

/** Whether the `openssl` command is here (the TLS tests make their certificate with it). */
export const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** A self-signed P-256 certificate for 127.0.0.1, valid a day, made in `dir` by openssl. */
export async function selfSignedCert(dir: string): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
      .concat(["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"])
      .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
    { stdio: "ignore" },
  );
  return { cert: await readFile(cert), key: await readFile(key) };
}

export interface TestServer {
  dir: string;
  store: string;
  log: Log;
  server: LogServer;
  url: string;
  tokens: Record<Role | "revoked", string>;
  /** fetch(url + path) with the token of `as` (none when undefined). */
  request: (path: string, init?: RequestInit & { as?: string }) => Promise<Response>;
  /** Stops the server (graceful) and closes the log; removes the directory. */
  stop: () => Promise<void>;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "logseal-server-"));
  const store = join(dir, "store");
  const log = await init(store, { origin: ORIGIN });
  const tokens = {} as Record<Role | "revoked", string>;
  for (const role of ["viewer", "auditor", "writer", "admin"] as const) {
    tokens[role] = (await createToken(log.store, { name: `${role}-1`, role })).token;
  }
  tokens.revoked = (await createToken(log.store, { name: "gone-1", role: "admin" })).token;
  await revokeToken(log.store, "gone-1");
  const server = await startServer(log, {
    host: "127.0.0.1",
    port: 0,
    checkpointInterval: 0,
    ...options,
  });
  const url = server.url;
  let stopped = false;
  return {
    dir,
    store,
    log,
    server,
    url,
    tokens,
    request: (path, init = {}) => {
      const { as, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as !== undefined) headers.set("Authorization", `Bearer ${as}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A valid event of schema v1; `n` varies it. */
export function event(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: 1_764_000_000_000 + n * 1000,
    actor: { id: n % 2 === 0 ? "alice" : "svc-trainer", kind: n % 2 === 0 ? "user" : "service" },
    action: n % 3 === 0 ? "dataset.read" : "model.export",
    outcome: n % 5 === 0 ? "failure" : "success",
    asset: `dataset:raw/tickets-${n % 7}`,
    ...extra,
  };
}

/** POST /v1/events with a JSON body (array, object or text as given). */
export function post(
  t: TestServer,
  body: unknown,
  as: string = t.tokens.writer,
  type = "application/json",
): Promise<Response> {
  return t.request("/v1/events", {
    method: "POST",
    as,
    headers: { "Content-Type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Every event in the log, decoded (safe while the server appends, unlike Log.get). */
export async function allEvents(log: Log): Promise<Array<Record<string, unknown>>> {
  return (await readEntries(log.store, 0, log.size)).map((e) => e.event as never);
}

/** Resolves when `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
