/**
 * The endpoints (formats/http-api.md, "Endpoints"): each route's permission and handler. The
 * server authenticates, checks the permission and the rate limit, then calls the handler.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toBase64 } from "../bytes.js";
import { parseSoa } from "../controls/soa.js";
import { LogsealError } from "../errors.js";
import { type Direction, lineage } from "../lineage/graph.js";
import { assets as listAssets } from "../lineage/inventory.js";
import { lineageProofs } from "../lineage/proofs.js";
import { query } from "../lineage/query.js";
import { lineageToJSON } from "../lineage/render.js";
import type { Log } from "../log.js";
import { leafHash } from "../merkle/index.js";
import { consistencyProofToJSON, inclusionProofToJSON } from "../proofs.js";
import type { StoredCheckpoint } from "../store/reader.js";
import type { GroupCommitter } from "./committer.js";
import { readEntries } from "./entries.js";
import { type ServerSoa, sendEvidence } from "./evidence-route.js";
import type { RwGate } from "./gate.js";
import { errorBody, sendBytes, sendJson } from "./http.js";
import { readBody, readBodyText } from "./ingest.js";
import type { IngestPool } from "./ingest-pool.js";
import type { ServerMetrics } from "./metrics.js";
import { privacyRoutes } from "./privacy-routes.js";
import {
  FILTER_NAMES,
  parseEventsQuery,
  parseFilter,
  parseIntParam,
  QUERY_PARAMS,
} from "./query.js";
import type { Permission, Role } from "./roles.js";
import type { StreamHub } from "./stream.js";
import { readTileResource } from "./tiles.js";
import type { TokenTable } from "./tokens.js";

/** What a handler gets. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path after the route's prefix (`tile/…` for tiles, the index, the token). */
  rest: string;
  /** The token the request came with: its name is who asks, in what the request logs. */
  who: { name: string; role: Role };
}

export interface Route {
  /** The route's name in metrics. */
  name: string;
  permission: Permission;
  handle: (ctx: Ctx) => Promise<void> | void;
}

/** The methods of a path, and what follows its prefix. */
export interface Resolved {
  methods: Partial<Record<string, Route>>;
  rest: string;
}

/** What the handlers work on. */
export interface RouteState {
  log: Log;
  gate: RwGate;
  committer: GroupCommitter;
  hub: StreamHub;
  tokens: TokenTable;
  ingest: IngestPool;
  metrics: ServerMetrics;
  options: { maxBodyBytes: number; maxRequestEvents: number };
  /** The latest signed checkpoint. */
  latest: () => StoredCheckpoint | undefined;
  /** Signs a checkpoint (when the tree grew, or always with `force`). */
  sign: (trigger: "request", force: boolean) => Promise<StoredCheckpoint | undefined>;
  /** The Statement of Applicability of `GET /v1/evidence` (default: the template). */
  soa?: ServerSoa;
}

const EVENT_TYPES = new Set([
  "application/json",
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "text/plain",
]);

/** The route table over `s`, as a resolver from a path to its methods. */
export function routes(s: RouteState): (path: string) => Resolved | undefined {
  const info = (ctx: Ctx) => {
    only(ctx.url, []);
    sendJson(ctx.res, 200, {
      origin: s.log.origin,
      vkey: s.log.vkey,
      size: s.log.size,
      checkpoint: s.latest() ?? null,
    });
  };

  const checkpointText = (ctx: Ctx) => {
    const latest = s.latest();
    if (latest === undefined) throw notFound("no checkpoint has been signed yet");
    sendBytes(ctx.res, 200, latest.note, {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "private, max-age=1",
    });
  };

  const tile = async (ctx: Ctx) => {
    const cp = s.latest();
    const r = cp === undefined ? undefined : await readTileResource(s.log.store, cp.size, ctx.rest);
    if (r === undefined) throw notFound(`no ${ctx.rest} in the tree of the latest checkpoint`);
    sendBytes(ctx.res, 200, r.bytes, {
      "Content-Type": "application/octet-stream",
      "Cache-Control": r.full ? "private, max-age=31536000, immutable" : "private, max-age=60",
    });
  };

  const inclusion = async (ctx: Ctx) => {
    const p = only(ctx.url, ["index", "size"]);
    const index = parseIntParam(required(p, "index"), "index");
    const size = optionalInt(p, "size");
    // Log.proveInclusion reads the last bundle: never while a batch is written (gate.ts).
    const proof = await s.gate.read(() => s.log.proveInclusion(index, size));
    sendJson(ctx.res, 200, inclusionProofToJSON(proof));
  };

  const consistency = async (ctx: Ctx) => {
    const p = only(ctx.url, ["from", "to"]);
    const from = parseIntParam(required(p, "from"), "from");
    const to = optionalInt(p, "to");
    sendJson(ctx.res, 200, consistencyProofToJSON(await s.log.proveConsistency(from, to)));
  };

  // From the query indexes, as `logseal query --json`, with the same cursor; `events` and
  // `next` (the cursor while `more`, else null) are the names this endpoint answered before.
  const events = async (ctx: Ctx) => {
    const q = parseEventsQuery(only(ctx.url, QUERY_PARAMS), { maxLimit: 1000 });
    const page = await query(s.log.store, q);
    sendJson(ctx.res, 200, {
      events: page.entries,
      next: page.more ? page.cursor : null,
      cursor: page.cursor,
      more: page.more,
      size: s.log.size,
    });
  };

  // As `logseal lineage ASSET --json [--proofs]`; the asset is the rest of the path,
  // percent-encoded (`dataset%3As3%3A%2F%2Fb%2Fx`).
  const lineageGraph = async (ctx: Ctx) => {
    const p = only(ctx.url, ["direction", "depth", "asOf", "proofs"]);
    let asset: string;
    try {
      asset = decodeURIComponent(ctx.rest);
    } catch {
      throw new LogsealError("E_USAGE", "the asset in the path is not valid percent-encoding", {
        location: { field: "asset" },
      });
    }
    const direction = p.get("direction") ?? "up";
    if (direction !== "up" && direction !== "down" && direction !== "both") {
      throw new LogsealError(
        "E_USAGE",
        `direction must be up, down or both, got ${JSON.stringify(direction)}`,
        { location: { field: "direction" } },
      );
    }
    const proofs = p.get("proofs");
    if (proofs !== null && proofs !== "0" && proofs !== "1") {
      throw new LogsealError("E_USAGE", "proofs must be 0 or 1", { location: { field: "proofs" } });
    }
    const depth = optionalInt(p, "depth");
    let asOf = optionalInt(p, "asOf");
    if (proofs === "1" && asOf === undefined) {
      // As the CLI: the answer is as of the latest checkpoint, which the proofs lead to.
      const cp = s.latest();
      if (cp === undefined) {
        throw new LogsealError(
          "E_NO_CHECKPOINT",
          "no checkpoint has been signed yet, so there is nothing to prove against",
        );
      }
      asOf = cp.size;
    }
    const graph = await lineage(s.log.store, asset, {
      direction: direction as Direction,
      ...(depth === undefined ? {} : { depth }),
      ...(asOf === undefined ? {} : { asOf }),
    });
    // Proving reads the last entry bundle: never while a batch is written (gate.ts).
    const proved =
      proofs === "1" ? await s.gate.read(() => lineageProofs(s.log, graph)) : undefined;
    sendJson(ctx.res, 200, lineageToJSON(graph, proved));
  };

  const assetList = async (ctx: Ctx) => {
    const p = only(ctx.url, ["kind"]);
    const kind = p.get("kind");
    const list = await listAssets(s.log.store, kind === null ? {} : { kind });
    sendJson(ctx.res, 200, { assets: list, size: s.log.size });
  };

  const entry = async (ctx: Ctx) => {
    only(ctx.url, []);
    const index = parseIntParam(ctx.rest, "index");
    const size = s.log.size;
    if (index >= size) {
      throw new LogsealError(
        "E_INDEX_RANGE",
        size === 0
          ? "the log is empty"
          : `index ${index} is out of range: the tree has entries 0..${size - 1}`,
        { details: { index, size } },
      );
    }
    const [e] = await readEntries(s.log.store, index, index + 1);
    if (e === undefined) throw new LogsealError("E_STORE_CORRUPT", `entry ${index} is missing`);
    sendJson(ctx.res, 200, {
      index,
      leafHash: toBase64(leafHash(e.leaf)),
      leaf: toBase64(e.leaf),
      event: e.event,
    });
  };

  const append = async (ctx: Ctx) => {
    only(ctx.url, []);
    const type = (ctx.req.headers["content-type"] ?? "application/json").split(";")[0]?.trim();
    if (type === undefined || !EVENT_TYPES.has(type.toLowerCase())) {
      sendJson(
        ctx.res,
        415,
        errorBody(
          new LogsealError(
            "E_USAGE",
            `Content-Type ${JSON.stringify(type)} is not accepted: send application/json or application/x-ndjson`,
          ),
        ),
      );
      return;
    }
    if (ctx.req.headers["content-encoding"] !== undefined) {
      sendJson(
        ctx.res,
        415,
        errorBody(new LogsealError("E_USAGE", "compressed request bodies are not accepted")),
      );
      return;
    }
    const body = await readBody(ctx.req, s.options.maxBodyBytes);
    const read = performance.now();
    const { events, tail } = await s.ingest.parse(
      body,
      s.options.maxRequestEvents,
      Date.now(),
      s.hub.count > 0,
    );
    s.metrics.ingestDuration.observe((performance.now() - read) / 1000);
    const { results, size } = await s.committer.submit(events, tail);
    let duplicates = 0;
    for (const r of results) if (r.duplicate) duplicates++;
    sendJson(ctx.res, 200, {
      size,
      appended: results.length - duplicates,
      duplicates,
      entries: results,
    });
  };

  const stream = (ctx: Ctx) => {
    const p = only(ctx.url, ["from", ...FILTER_NAMES]);
    const filter = parseFilter(p);
    const lastId = ctx.req.headers["last-event-id"];
    let from = s.log.size;
    if (typeof lastId === "string" && lastId !== "")
      from = parseIntParam(lastId, "Last-Event-ID") + 1;
    else if (p.get("from") !== null) from = optionalInt(p, "from") as number;
    if (s.hub.full) {
      throw new LogsealError("E_SERVER_BUSY", "too many live streams: retry later", {
        details: { retryAfter: 5 },
      });
    }
    if (ctx.req.method === "HEAD") {
      ctx.res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8" });
      ctx.res.end();
      return;
    }
    s.hub.subscribe(ctx.req, ctx.res, from, filter);
  };

  const checkpoints = async (ctx: Ctx) => {
    const p = only(ctx.url, ["size"]);
    const size = optionalInt(p, "size");
    if (size !== undefined) {
      const all = await s.log.listCheckpoints();
      const cp = all.find((c) => c.size === size);
      if (cp === undefined) {
        throw new LogsealError("E_NO_CHECKPOINT", `no checkpoint of size ${size} is stored`, {
          details: { size },
        });
      }
      sendJson(ctx.res, 200, cp);
      return;
    }
    sendJson(ctx.res, 200, { checkpoints: await s.log.listCheckpoints() });
  };

  const signNow = async (ctx: Ctx) => {
    only(ctx.url, []);
    await readBodyText(ctx.req, 4096); // no body expected; read and drop a small one
    const cp = await s.sign("request", true);
    sendJson(ctx.res, 200, cp);
  };

  const tokenList = (ctx: Ctx) => {
    only(ctx.url, []);
    sendJson(ctx.res, 200, { tokens: s.tokens.list() });
  };

  const tokenCreate = async (ctx: Ctx) => {
    only(ctx.url, []);
    const text = await readBodyText(ctx.req, 4096);
    let body: { name?: unknown; role?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new LogsealError("E_INPUT_JSON", 'send {"name":"…","role":"…"} as JSON');
    }
    if (typeof body?.name !== "string" || typeof body.role !== "string") {
      throw new LogsealError("E_USAGE", 'send {"name":"…","role":"…"} as JSON');
    }
    const { token, info: created } = await s.tokens.create(body.name, body.role);
    sendJson(ctx.res, 201, { ...created, token });
  };

  const tokenRevoke = async (ctx: Ctx) => {
    only(ctx.url, []);
    sendJson(ctx.res, 200, await s.tokens.revoke(decodeURIComponent(ctx.rest)));
  };

  // As `logseal evidence --format json|md|html`, with the server's SoA (evidence-route.ts).
  const evidence = (ctx: Ctx) =>
    sendEvidence(s.log, s.soa, only(ctx.url, ["from", "to", "samples", "format"]), ctx.res);

  // The same report against the SoA in the body (`logseal evidence --soa FILE` through a
  // server); `source` names it in the report, as the file name does on the command line.
  const evidenceWithSoa = async (ctx: Ctx) => {
    const p = only(ctx.url, ["from", "to", "samples", "format", "source"]);
    const source = p.get("source") ?? "request body";
    p.delete("source");
    const soa = parseSoa(await readBodyText(ctx.req, MAX_SOA_BYTES), source);
    await sendEvidence(s.log, { soa, source }, p, ctx.res);
  };

  const metricsText = (ctx: Ctx) => {
    sendBytes(ctx.res, 200, s.metrics.render(), {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
    });
  };

  // --- routing --------------------------------------------------------------------------

  const exact: Record<string, Partial<Record<string, Route>>> = {
    "/checkpoint": { GET: { name: "checkpoint", permission: "read", handle: checkpointText } },
    "/metrics": { GET: { name: "metrics", permission: "metrics", handle: metricsText } },
    "/v1/log": { GET: { name: "log", permission: "read", handle: info } },
    "/v1/events": {
      GET: { name: "events.query", permission: "read", handle: events },
      POST: { name: "events.append", permission: "append", handle: append },
    },
    "/v1/stream": { GET: { name: "stream", permission: "read", handle: stream } },
    "/v1/assets": { GET: { name: "assets", permission: "read", handle: assetList } },
    "/v1/proof/inclusion": {
      GET: { name: "proof.inclusion", permission: "read", handle: inclusion },
    },
    "/v1/proof/consistency": {
      GET: { name: "proof.consistency", permission: "read", handle: consistency },
    },
    "/v1/checkpoints": {
      GET: { name: "checkpoints", permission: "history", handle: checkpoints },
    },
    "/v1/evidence": {
      GET: { name: "evidence", permission: "evidence", handle: evidence },
      POST: { name: "evidence", permission: "evidence", handle: evidenceWithSoa },
    },
    "/v1/checkpoint": {
      POST: { name: "checkpoint.sign", permission: "checkpoint", handle: signNow },
    },
    "/v1/tokens": {
      GET: { name: "tokens.list", permission: "tokens", handle: tokenList },
      POST: { name: "tokens.create", permission: "tokens", handle: tokenCreate },
    },
    ...privacyRoutes(s),
  };
  const prefixed: Array<[string, Partial<Record<string, Route>>]> = [
    ["/tile/", { GET: { name: "tile", permission: "read", handle: tile } }],
    ["/v1/events/", { GET: { name: "events.entry", permission: "read", handle: entry } }],
    ["/v1/lineage/", { GET: { name: "lineage", permission: "read", handle: lineageGraph } }],
    [
      "/v1/tokens/",
      { DELETE: { name: "tokens.revoke", permission: "tokens", handle: tokenRevoke } },
    ],
  ];

  return (path: string): Resolved | undefined => {
    const e = exact[path];
    if (e !== undefined) return { methods: e, rest: "" };
    for (const [prefix, methods] of prefixed) {
      if (path.startsWith(prefix) && path.length > prefix.length) {
        // Tiles keep the `tile/` part: it is the tlog-tiles path relative to the prefix.
        const rest = prefix === "/tile/" ? path.slice(1) : path.slice(prefix.length);
        return { methods, rest };
      }
    }
    return undefined;
  };
}

export function notFound(message: string): LogsealError {
  return new LogsealError("E_NOT_FOUND", message);
}

/** The query parameters, refusing names outside `allowed` and repeated names. */
/** A Statement of Applicability is a few hundred KiB at most (`logseal evidence --soa` reads 4 MiB). */
const MAX_SOA_BYTES = 4 << 20;

function only(url: URL, allowed: readonly string[]): URLSearchParams {
  const seen = new Set<string>();
  for (const name of url.searchParams.keys()) {
    if (!allowed.includes(name)) {
      throw new LogsealError(
        "E_USAGE",
        allowed.length === 0
          ? `${url.pathname} takes no query parameters, got ${JSON.stringify(name)}`
          : `unknown parameter ${JSON.stringify(name)}: ${url.pathname} takes ${allowed.join(", ")}`,
        { location: { field: name } },
      );
    }
    if (seen.has(name)) {
      throw new LogsealError("E_USAGE", `parameter ${name} is given twice`, {
        location: { field: name },
      });
    }
    seen.add(name);
  }
  return url.searchParams;
}

function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null) {
    throw new LogsealError("E_USAGE", `parameter ${name} is required`, {
      location: { field: name },
    });
  }
  return v;
}

function optionalInt(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  return v === null ? undefined : parseIntParam(v, name);
}
