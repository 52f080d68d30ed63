/**
 * `logseal serve`: the HTTP server that owns a store (formats/http-api.md is the contract).
 *
 * One process holds the LevelDB store; every other reader and writer goes through this server.
 * A request is authenticated (bearer token, except `/healthz`), checked against its role's
 * permissions, rate-limited per token, then served. Appends are validated per request and
 * written by the group committer; reads go to the store directly (tiles, bundles and proofs
 * read committed data only). Denied requests are logged as `access.denied` events.
 *
 * Lifecycle: `startServer` listens and writes `<store>/server.json`; `close` stops accepting,
 * ends live streams, lets in-flight requests finish, writes the queued batches, signs a final
 * checkpoint when the tree grew, and removes `server.json`. The caller closes the log.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { LogsealError } from "../errors.js";
import type { Log } from "../log.js";
import type { StoredCheckpoint } from "../store/reader.js";
import { GroupCommitter } from "./committer.js";
import { DenialRecorder } from "./denials.js";
import type { ServerSoa } from "./evidence-route.js";
import { RwGate } from "./gate.js";
import { errorBody, sendError, sendJson } from "./http.js";
import { IngestPool } from "./ingest-pool.js";
import { ServerMetrics } from "./metrics.js";
import { KeyedRateLimiter, type RateLimit } from "./rate-limit.js";
import { can, type Permission, type Role } from "./roles.js";
import { notFound, routes } from "./routes.js";
import { removeServerFile, writeServerFile } from "./server-file.js";
import { StreamHub, type StreamOptions } from "./stream.js";
import { TokenTable } from "./tokens.js";

export interface ServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 7070; 0 picks a free one). */
  port?: number;
  /** PEM certificate chain and key: serve HTTPS (node:https). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Sign a checkpoint this often when the tree grew, in ms (default 5000; 0: never by time). */
  checkpointInterval?: number;
  /** Largest request body in bytes (default 8 MiB). */
  maxBodyBytes?: number;
  /** Most events in one request (default 10000). */
  maxRequestEvents?: number;
  /** Requests join a group commit while it holds at most this many events (default 10000). */
  maxBatchEvents?: number;
  /** Events waiting for a group commit beyond which appends get 503 (default 50000). */
  maxQueueEvents?: number;
  /** Requests per token (default 1000 per second, bursts of 2000). */
  rateLimit?: RateLimit;
  /** `access.denied` events written (default 10 per second, bursts of 50); see denials.ts. */
  denialLogLimit?: RateLimit;
  /** Time to receive the request headers, ms (default 10000). */
  headersTimeout?: number;
  /** Time to receive the whole request, ms (default 30000). */
  requestTimeout?: number;
  /** Idle time of a kept-alive connection between requests, ms (default 5000). */
  keepAliveTimeout?: number;
  /** How often the timeouts above are checked, ms (default 1000). */
  connectionsCheckingInterval?: number;
  /** Live tail limits. */
  stream?: Partial<StreamOptions>;
  /** Time to wait for in-flight requests at shutdown, ms (default 10000). */
  shutdownTimeout?: number;
  /**
   * Worker threads that decode and validate request bodies (default: one fewer than the cores,
   * at least 1, at most 4; 0: on the main thread). Running from TypeScript sources, always 0.
   */
  ingestWorkers?: number;
  /**
   * The Statement of Applicability that `GET /v1/evidence` reports against, and its source (a
   * file name, quoted in the report). Default: the template, every control applicable.
   */
  soa?: ServerSoa;
  /** Write `<store>/server.json` (default true). */
  serverFile?: boolean;
  /** Where to report errors that no request can carry (default: ignored). */
  onError?: (e: unknown) => void;
}

/** A running server. */
export interface LogServer {
  /** The base URL, such as `http://127.0.0.1:7070` (an unspecified host is given as loopback). */
  readonly url: string;
  readonly port: number;
  /**
   * Stops the server gracefully (see the module comment). Idempotent.
   * @returns the final checkpoint, if one is stored
   */
  close(): Promise<StoredCheckpoint | undefined>;
}

const MiB = 1024 * 1024;
const DEFAULTS = {
  host: "127.0.0.1",
  port: 7070,
  checkpointInterval: 5000,
  maxBodyBytes: 8 * MiB,
  maxRequestEvents: 10_000,
  maxBatchEvents: 10_000,
  maxQueueEvents: 50_000,
  rateLimit: { rate: 1000, burst: 2000 },
  denialLogLimit: { rate: 10, burst: 50 },
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1000,
  shutdownTimeout: 10_000,
  ingestWorkers: Math.min(4, Math.max(1, availableParallelism() - 1)),
  stream: { maxBuffer: 4 * MiB, heartbeat: 15_000, maxSubscribers: 1000 },
};

/** What a permission allows, for the 403 message. */
const DOING: Record<Permission, string> = {
  read: "read the log",
  history: "read the checkpoint history",
  evidence: "read evidence reports",
  append: "append events",
  checkpoint: "sign checkpoints",
  tokens: "manage tokens",
  metrics: "read metrics",
  reveal: "reveal masked values",
  erase: "erase data subjects",
};

/**
 * Starts a server over an open log and resolves once it listens.
 * @throws LogsealError E_IO when it cannot listen (address in use, bad TLS key)
 */
export async function startServer(log: Log, options: ServerOptions = {}): Promise<LogServer> {
  const o = {
    ...DEFAULTS,
    ...options,
    stream: { ...DEFAULTS.stream, ...options.stream },
  };
  const started = Date.now();
  const tokens = await TokenTable.load(log.store);
  const gate = new RwGate();
  let latest = await log.latestCheckpoint();
  let lastSignedAt = Number.NaN;
  let draining = false;
  let inflight = 0;
  let inflightIdle: (() => void) | undefined;

  const metrics: ServerMetrics = new ServerMetrics({
    treeSize: () => log.size,
    checkpointSize: () => latest?.size ?? -1,
    checkpointAge: () => (Date.now() - lastSignedAt) / 1000,
    queueEvents: (): number => committer.queuedEvents,
    subscribers: () => hub.count,
    inFlight: () => inflight,
    uptime: () => (Date.now() - started) / 1000,
    ingestThreads: () => ingest.threads,
  });
  const hub = new StreamHub(log.store, () => log.size, metrics, o.stream);
  const committer: GroupCommitter = new GroupCommitter(
    log,
    gate,
    { maxBatchEvents: o.maxBatchEvents, maxQueueEvents: o.maxQueueEvents },
    metrics,
    (batch) => hub.publish(batch),
  );
  const denials = new DenialRecorder(committer, metrics, o.denialLogLimit);
  const limiter = new KeyedRateLimiter(o.rateLimit);
  // Requests are prepared for Log.appendPrepared in the ingest workers when every transform of
  // the log has a pure part (always, for a log from open or init).
  const ingest = new IngestPool(o.ingestWorkers, log.prepareSpec());

  // Checkpoints are signed one at a time; `log.checkpoint` is serialised with appends.
  let signing: Promise<StoredCheckpoint | undefined> = Promise.resolve(undefined);
  const sign = (trigger: "interval" | "request" | "shutdown", force: boolean) => {
    signing = signing
      .catch(() => undefined)
      .then(async () => {
        if (!force && latest !== undefined && latest.size === log.size) return latest;
        if (!force && latest === undefined && log.size === 0 && trigger === "interval")
          return latest;
        latest = await log.checkpoint();
        lastSignedAt = Date.now();
        metrics.checkpoints.inc({ trigger });
        return latest;
      });
    return signing;
  };

  let lastTick = Date.now();
  const tick = setInterval(
    () => {
      denials.flush();
      limiter.sweep();
      const now = Date.now();
      if (o.checkpointInterval > 0 && now - lastTick >= o.checkpointInterval) {
        lastTick = now;
        sign("interval", false).catch((e) => options.onError?.(e));
      }
    },
    Math.min(1000, o.checkpointInterval > 0 ? o.checkpointInterval : 1000),
  );
  tick.unref();

  const resolve = routes({
    log,
    gate,
    committer,
    hub,
    tokens,
    ingest,
    metrics,
    options: o,
    latest: () => latest,
    sign,
    ...(options.soa === undefined ? {} : { soa: options.soa }),
  });

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    state: { route: string },
  ): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      sendError(res, new LogsealError("E_USAGE", "bad request target"));
      return;
    }
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    if (url.pathname === "/healthz") {
      state.route = "healthz";
      sendJson(res, draining ? 503 : 200, { ok: !draining, status: draining ? "stopping" : "ok" });
      return;
    }
    if (draining) {
      sendError(
        res,
        new LogsealError("E_SERVER_BUSY", "the server is shutting down", {
          details: { retryAfter: 1 },
        }),
        { Connection: "close" },
      );
      return;
    }
    const remote = req.socket.remoteAddress ?? "unknown";
    const deny = (
      status: 401 | 403,
      reason: string,
      actor: string | undefined,
      message: string,
    ) => {
      denials.record({
        status,
        actor,
        method: req.method ?? "",
        path: url.pathname,
        reason,
        remote,
      });
      // Requests with bodies are not read: close rather than drain them.
      const close =
        req.headers["content-length"] !== undefined ||
        req.headers["transfer-encoding"] !== undefined;
      sendError(
        res,
        new LogsealError(status === 401 ? "E_UNAUTHORIZED" : "E_FORBIDDEN", message),
        close ? { Connection: "close" } : {},
      );
    };

    // 1. Who: every request but /healthz carries a bearer token.
    const auth = req.headers.authorization;
    const m = auth === undefined ? null : /^Bearer +(\S+) *$/i.exec(auth);
    if (m?.[1] === undefined) {
      deny(
        401,
        auth === undefined ? "missing token" : "malformed authorization header",
        undefined,
        "this server needs a bearer token: send 'Authorization: Bearer lsk_…' (logseal: --token or LOGSEAL_TOKEN)",
      );
      return;
    }
    const who = tokens.authenticate(m[1]);
    if (!who.ok) {
      deny(401, who.reason, who.record?.name, `the token is refused (${who.reason})`);
      return;
    }
    const role: Role = who.record.role;

    // 2. What: the route and its permission.
    const found = resolve(url.pathname);
    const route = found?.methods[method];
    if (found === undefined || route === undefined) {
      if (found === undefined) {
        sendError(res, notFound(`no such resource: ${url.pathname}`));
      } else {
        const allow = Object.keys(found.methods).join(", ");
        sendJson(
          res,
          405,
          errorBody(
            new LogsealError(
              "E_USAGE",
              `${req.method} is not allowed on ${url.pathname}: use ${allow}`,
            ),
          ),
          { Allow: allow.includes("GET") ? `${allow}, HEAD` : allow },
        );
      }
      return;
    }
    state.route = route.name;
    if (!can(role, route.permission)) {
      deny(
        403,
        `role ${role} lacks ${route.permission}`,
        who.record.name,
        `the token's role ${role} may not ${DOING[route.permission]}: ask an admin for a token with a role that may`,
      );
      return;
    }

    // 3. How often.
    const wait = limiter.take(who.record.id);
    if (wait > 0) {
      metrics.rateLimited.inc();
      sendError(
        res,
        new LogsealError(
          "E_RATE_LIMITED",
          `too many requests for token ${who.record.name}: slow down`,
          {
            details: { retryAfter: wait },
          },
        ),
      );
      return;
    }

    await route.handle({ req, res, url, rest: found.rest, who: { name: who.record.name, role } });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const sse = req.url?.startsWith("/v1/stream") === true;
    if (!sse) inflight++;
    const state = { route: "unknown" };
    res.on("close", () => {
      metrics.requests.inc({ route: state.route, status: String(res.statusCode) });
      if (sse) return;
      inflight--;
      if (inflight === 0) inflightIdle?.();
    });
    handle(req, res, state).catch((e) => {
      if (statusFor500(e)) options.onError?.(e);
      if (e instanceof LogsealError && e.code === "E_SERVER_BUSY") metrics.backPressure.inc();
      const close = e instanceof LogsealError && e.code === "E_INPUT_TOO_LARGE";
      sendError(res, e, close ? { Connection: "close" } : {});
    });
  };

  const serverOptions = {
    headersTimeout: o.headersTimeout,
    requestTimeout: o.requestTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    connectionsCheckingInterval: o.connectionsCheckingInterval,
    noDelay: true,
  };
  const server =
    o.tls === undefined
      ? createHttpServer(serverOptions, onRequest)
      : createHttpsServer({ ...serverOptions, cert: o.tls.cert, key: o.tls.key }, onRequest);
  server.headersTimeout = o.headersTimeout;
  server.requestTimeout = o.requestTimeout;
  server.keepAliveTimeout = o.keepAliveTimeout;

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", () => void ingest.close());
    server.once("error", (e) =>
      reject(
        new LogsealError("E_IO", `cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`, {
          cause: e,
        }),
      ),
    );
    server.listen(o.port, o.host, () => resolveListen());
  });
  server.on("error", (e) => options.onError?.(e));
  const address = server.address() as AddressInfo;
  const url = `${o.tls === undefined ? "http" : "https"}://${urlHost(address.address)}:${address.port}`;
  if (o.serverFile !== false) {
    await writeServerFile(log.dir, {
      url,
      pid: process.pid,
      started: new Date(started).toISOString(),
    });
  }

  let closing: Promise<StoredCheckpoint | undefined> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      clearInterval(tick);
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      hub.close();
      if (inflight > 0) {
        await new Promise<void>((r) => {
          inflightIdle = r;
          setTimeout(r, o.shutdownTimeout).unref();
        });
      }
      await denials.flushNow();
      committer.close();
      await committer.drain();
      let final: StoredCheckpoint | undefined;
      try {
        final = await sign("shutdown", false);
      } catch (e) {
        options.onError?.(e);
        final = latest;
      }
      server.closeAllConnections();
      await stopped;
      await ingest.close();
      if (o.serverFile !== false) await removeServerFile(log.dir, process.pid);
      return final;
    })();
    return closing;
  };

  return { url, port: address.port, close };
}

function urlHost(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "[::1]";
  return address.includes(":") ? `[${address}]` : address;
}
function statusFor500(e: unknown): boolean {
  return !(e instanceof LogsealError) || ["E_IO", "E_STORE_CORRUPT"].includes(e.code);
}
