/**
 * Every caller against every endpoint: each role, no token, a token that is not one, a
 * malformed header and a revoked token. Every denial (401, 403) must be in the log as an
 * `access.denied` event naming the caller, the request and the reason.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { can, type Permission, ROLES, type Role, soaTemplate } from "../../src/index.js";
import { allEvents, event, post, startTestServer, type TestServer, until } from "./server.js";

type Caller = Role | "none" | "bad" | "malformed" | "revoked";
const CALLERS: Caller[] = [
  "viewer",
  "auditor",
  "writer",
  "admin",
  "none",
  "bad",
  "malformed",
  "revoked",
];
const ROLE_OF: Record<Role, string> = {
  viewer: "viewer-1",
  auditor: "auditor-1",
  writer: "writer-1",
  admin: "admin-1",
};

interface Endpoint {
  method: "GET" | "POST" | "DELETE";
  path: (caller: Caller) => string;
  body?: (caller: Caller, i: number) => string;
  /** The test's name for the path, when it is only known once the log is set up. */
  label?: string;
  /** null: no authentication (only /healthz). */
  permission: Permission | null;
  ok: number;
  stream?: boolean;
}

let t: TestServer;
let cpSize = 0;

const ENDPOINTS: Endpoint[] = [
  { method: "GET", path: () => "/healthz", permission: null, ok: 200 },
  { method: "GET", path: () => "/checkpoint", permission: "read", ok: 200 },
  {
    method: "GET",
    path: () => `/tile/0/000.p/${cpSize}`,
    label: "/tile/0/000.p/W",
    permission: "read",
    ok: 200,
  },
  {
    method: "GET",
    path: () => `/tile/entries/000.p/${cpSize}`,
    label: "/tile/entries/000.p/W",
    permission: "read",
    ok: 200,
  },
  { method: "GET", path: () => "/v1/log", permission: "read", ok: 200 },
  { method: "GET", path: () => "/v1/events?limit=3&actor=alice", permission: "read", ok: 200 },
  { method: "GET", path: () => "/v1/events/1", permission: "read", ok: 200 },
  {
    method: "GET",
    path: () => `/v1/lineage/${encodeURIComponent("dataset:raw/tickets-0")}?direction=both`,
    label: "/v1/lineage/ASSET",
    permission: "read",
    ok: 200,
  },
  { method: "GET", path: () => "/v1/assets?kind=dataset", permission: "read", ok: 200 },
  { method: "GET", path: () => "/v1/proof/inclusion?index=1", permission: "read", ok: 200 },
  { method: "GET", path: () => "/v1/proof/consistency?from=1", permission: "read", ok: 200 },
  { method: "GET", path: () => "/v1/stream?from=0", permission: "read", ok: 200, stream: true },
  { method: "GET", path: () => "/v1/checkpoints", permission: "history", ok: 200 },
  {
    method: "GET",
    path: () => "/v1/evidence?samples=1&from=-3650d",
    permission: "evidence",
    ok: 200,
  },
  {
    method: "POST",
    path: () => "/v1/evidence?samples=1&source=matrix.json",
    body: () => JSON.stringify(soaTemplate()),
    permission: "evidence",
    ok: 200,
  },
  { method: "GET", path: () => "/metrics", permission: "metrics", ok: 200 },
  {
    method: "POST",
    path: () => "/v1/events",
    body: (c, i) => JSON.stringify([event(i, { id: `matrix-${c}-${i}` })]),
    permission: "append",
    ok: 200,
  },
  { method: "POST", path: () => "/v1/checkpoint", permission: "checkpoint", ok: 200 },
  { method: "GET", path: () => "/v1/tokens", permission: "tokens", ok: 200 },
  {
    method: "POST",
    path: () => "/v1/tokens",
    body: (c) => JSON.stringify({ name: `made-by-${c}`, role: "viewer" }),
    permission: "tokens",
    ok: 201,
  },
  { method: "DELETE", path: (c) => `/v1/tokens/victim-${c}`, permission: "tokens", ok: 200 },
  {
    method: "POST",
    path: () => "/v1/privacy/reveal",
    body: () => JSON.stringify({ index: 3, reason: "matrix" }),
    permission: "reveal",
    ok: 200,
  },
  {
    method: "POST",
    path: () => "/v1/privacy/erase",
    body: (c) => JSON.stringify({ subject: `victim-${c}@example.com` }),
    permission: "erase",
    ok: 200,
  },
];

function header(caller: Caller): string | undefined {
  switch (caller) {
    case "none":
      return undefined;
    case "bad":
      return `Bearer lsk_${"A".repeat(43)}`;
    case "malformed":
      return "Basic YWRtaW46YWRtaW4=";
    case "revoked":
      return `Bearer ${t.tokens.revoked}`;
    default:
      return `Bearer ${t.tokens[caller]}`;
  }
}

function expected(e: Endpoint, caller: Caller): number {
  if (e.permission === null) return e.ok;
  if (caller === "none" || caller === "bad" || caller === "malformed" || caller === "revoked") {
    return 401;
  }
  return can(caller, e.permission) ? e.ok : 403;
}

beforeAll(async () => {
  t = await startTestServer({ denialLogLimit: { rate: 10_000, burst: 10_000 } });
  expect((await post(t, [event(0), event(1), event(2)])).status).toBe(200);
  // Masked values: one to reveal (entry 3), one subject per caller to erase.
  const masked = [event(3, { details: { contact: "matrix@example.com" } })];
  for (const c of CALLERS)
    masked.push(event(4, { details: { contact: `victim-${c}@example.com` } }));
  expect((await post(t, masked)).status).toBe(200);
  const signed = await t.request("/v1/checkpoint", { method: "POST", as: t.tokens.admin });
  cpSize = ((await signed.json()) as { size: number }).size;
  // Restart-free: tokens to revoke go through the API, like any admin would.
  for (const c of CALLERS) {
    const r = await t.request("/v1/tokens", {
      method: "POST",
      as: t.tokens.admin,
      body: JSON.stringify({ name: `victim-${c}`, role: "viewer" }),
    });
    expect(r.status).toBe(201);
  }
});
afterAll(() => t.stop());

const results: Array<{ caller: Caller; method: string; path: string; status: number }> = [];

describe("the role matrix", () => {
  it("is the one formats/http-api.md documents, for every endpoint tested here", () => {
    const doc = readFileSync(new URL("../../formats/http-api.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Roles"), doc.indexOf("## Errors"));
    const rows = new Map<string, { grants: boolean[]; endpoints: string }>();
    for (const m of section.matchAll(/^\| ([a-z]+) \|(.*)\|(.*)\|(.*)\|(.*)\| (.*) \|$/gm)) {
      const cells = [m[2], m[3], m[4], m[5]].map((c) => (c as string).trim() === "✓");
      rows.set(m[1] as string, { grants: cells, endpoints: m[6] as string });
    }
    const permissions = new Set(ENDPOINTS.flatMap((e) => (e.permission ? [e.permission] : [])));
    for (const p of permissions) {
      const row = rows.get(p);
      expect(row, `no row for ${p} in the Roles table`).toBeDefined();
      // Columns in the table's order: viewer, auditor, writer, admin (ROLES' order).
      expect(row?.grants, p).toEqual(ROLES.map((r) => can(r, p)));
    }
    for (const e of ENDPOINTS) {
      if (e.permission === null) continue;
      const path = (e.label ?? e.path("admin")).split("?")[0] as string;
      const documented = (rows.get(e.permission)?.endpoints ?? "")
        .replaceAll("<asset>", "ASSET")
        .replaceAll("<name or id>", "victim-admin")
        .replaceAll("<index>", "1")
        .replaceAll("`GET /tile/…`", "`GET /tile/0/000.p/W`, `GET /tile/entries/000.p/W`");
      expect(documented, `${e.method} ${path} under ${e.permission}`).toContain(
        `${e.method} ${path}`,
      );
    }
  });

  const cases = ENDPOINTS.flatMap((e, ei) => CALLERS.map((c) => [e, c, ei] as const));
  it.each(cases.map(([e, c, ei]) => [`${e.method} ${e.label ?? e.path(c)}`, c, e, ei] as const))(
    "%s as %s",
    async (_name, caller, e, ei) => {
      const headers: Record<string, string> = {};
      const auth = header(caller);
      if (auth !== undefined) headers.Authorization = auth;
      if (e.body) headers["Content-Type"] = "application/json";
      const abort = new AbortController();
      const res = await fetch(`${t.url}${e.path(caller)}`, {
        method: e.method,
        headers,
        ...(e.body ? { body: e.body(caller, ei * 100 + CALLERS.indexOf(caller)) } : {}),
        signal: abort.signal,
      });
      const want = expected(e, caller);
      let text = "";
      if (e.stream && res.status === 200) {
        expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
        abort.abort();
      } else {
        text = await res.text();
      }
      expect(res.status, text).toBe(want);
      if (want === 401) {
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(JSON.parse(text).error.code).toBe("E_UNAUTHORIZED");
      }
      if (want === 403) expect(JSON.parse(text).error.code).toBe("E_FORBIDDEN");
      results.push({
        caller,
        method: e.method,
        path: new URL(e.path(caller), t.url).pathname,
        status: res.status,
      });
    },
  );

  it("appends every denial as an access.denied event", async () => {
    const denied = results.filter((r) => r.status === 401 || r.status === 403);
    expect(denied.length).toBeGreaterThan(60);
    const logged = async () => (await allEvents(t.log)).filter((e) => e.action === "access.denied");
    await until(async () => (await logged()).length >= denied.length);
    const events = await logged();
    expect(events).toHaveLength(denied.length);
    const key = (caller: string, status: number, method: string, path: string) =>
      `${caller} ${status} ${method} ${path}`;
    const got = events.map((e) => {
      const d = e.details as Record<string, unknown>;
      expect(e.outcome).toBe("denied");
      expect(d.remote).toMatch(/127\.0\.0\.1/);
      expect(d.suppressed).toBe(0);
      return key(
        (e.actor as { id: string }).id,
        d.status as number,
        d.method as string,
        d.path as string,
      );
    });
    const want = denied.map((r) =>
      key(
        r.caller === "revoked"
          ? "gone-1"
          : r.caller in ROLE_OF
            ? ROLE_OF[r.caller as Role]
            : "anonymous",
        r.status,
        r.method,
        r.path,
      ),
    );
    expect(got.sort()).toEqual(want.sort());
    const reasons = new Set(events.map((e) => (e.details as { reason: string }).reason));
    for (const r of [
      "missing token",
      "unknown token",
      "malformed authorization header",
      "revoked token",
      "role viewer lacks append",
      "role writer lacks read",
    ]) {
      expect(reasons, r).toContain(r);
    }
    const controls = new Set(events.flatMap((e) => e.controls as string[]));
    expect([...controls].sort()).toEqual(["A.8.3", "A.8.5"]);
  });
});
