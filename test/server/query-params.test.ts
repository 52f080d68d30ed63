/**
 * One reading of event-query parameters (src/server/query.ts, parseEventsQuery) for
 * `logseal query` and `GET /v1/events`: the same values accepted, the same errors, each named
 * as its caller names it (`--limit` on the command line, `limit` in a URL).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, LogsealError, parseEventsQuery } from "../../src/index.js";
import { event, json, logseal, ORIGIN, ok, tempDir } from "../cli/cli.js";
import { startTestServer, type TestServer } from "./server.js";

const cli = (n: string) => `--${n}`;

describe("parseEventsQuery", () => {
  it("reads filters, limit and cursor from URL parameters and from option getters alike", () => {
    const now = 1_764_000_000_000;
    const url = new URLSearchParams(
      "actor=alice&outcome=success&since=-1h&until=1764000000000&limit=5&cursor=c1",
    );
    const fromUrl = parseEventsQuery(url, { now });
    const opts: Record<string, string> = Object.fromEntries(url);
    expect(parseEventsQuery((n) => opts[n], { now, label: cli })).toEqual(fromUrl);
    expect(fromUrl).toEqual({
      actor: "alice",
      outcome: "success",
      since: now - 3_600_000,
      until: now,
      limit: 5,
      cursor: "c1",
    });
    expect(parseEventsQuery(new URLSearchParams(""))).toEqual({ limit: 100 });
  });

  it.each([
    ["limit", "0", { maxLimit: 1000 }, "limit must be 1..1000"],
    ["limit", "1001", { maxLimit: 1000 }, "limit must be 1..1000"],
    ["limit", "0", {}, "limit must be at least 1"],
    ["limit", "07", {}, 'limit must be a non-negative integer, got "07"'],
    ["outcome", "maybe", {}, "outcome must be one of success, failure, denied"],
    ["actor", "", {}, "actor must be 1-1024 characters"],
    ["since", "yesterday", {}, 'cannot read "yesterday" as a time'],
  ])(
    "refuses %s=%j with E_USAGE naming the parameter as its caller does",
    (name, value, o, text) => {
      for (const label of [undefined, cli]) {
        const field = label === undefined ? name : `--${name}`;
        let error: unknown;
        try {
          parseEventsQuery((n) => (n === name ? value : undefined), {
            ...o,
            ...(label ? { label } : {}),
          });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(LogsealError);
        expect(error).toMatchObject({ code: "E_USAGE", location: { field } });
        expect((error as Error).message).toContain(text.replace(name, field));
      }
    },
  );
});

describe("logseal query and GET /v1/events", () => {
  let t: TestServer;
  let store: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    t = await startTestServer();
    await t.log.append(Array.from({ length: 6 }, (_, i) => event(i, { id: `qp-${i}` })));
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    store = join(dir, "store");
    const log = await init(store, { origin: ORIGIN });
    await log.append(Array.from({ length: 6 }, (_, i) => event(i, { id: `qp-${i}` })));
    await log.close();
  });
  afterAll(async () => {
    await t.stop();
    await cleanup();
  });

  it("answer the same page for the same parameters, integer times included", async () => {
    const since = String(1_764_000_000_000 + 2000);
    const r = await t.request(`/v1/events?since=${since}&outcome=success&limit=2`, {
      as: t.tokens.viewer,
    });
    expect(r.status).toBe(200);
    const served = (await r.json()) as { events: Array<{ index: number }>; cursor: string };
    const local = json<{ entries: Array<{ index: number }>; cursor: string }>(
      ok(
        await logseal([
          "query",
          "--since",
          since,
          "--outcome",
          "success",
          "--limit",
          "2",
          "--json",
          "--store",
          store,
        ]),
      ),
    );
    expect(local.entries.map((e) => e.index)).toEqual([2, 3]);
    expect(served.events.map((e) => e.index)).toEqual([2, 3]);
    expect(local.cursor).toBe(served.cursor);
  });

  it("refuse the same bad value with the same message, named as each names it", async () => {
    const r = await t.request("/v1/events?outcome=maybe", { as: t.tokens.viewer });
    expect(r.status).toBe(400);
    const served = ((await r.json()) as { error: { message: string; field: string } }).error;
    const local = await logseal(["query", "--outcome", "maybe", "--store", store]);
    expect(local.code).toBe(2);
    expect(served.field).toBe("outcome");
    expect(local.stderr).toContain(`field --outcome: --${served.message}`);
  });
});
