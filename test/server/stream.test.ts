/** GET /v1/stream: live tail over server-sent events, backfill, resume from Last-Event-ID. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Event, LogClient } from "../../src/index.js";
import { allEvents, event, post, startTestServer, type TestServer, until } from "./server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Collects stream entries in the background until aborted. */
function collect(options: Parameters<LogClient["stream"]>[0] = {}) {
  const abort = new AbortController();
  const got: Array<{ index: number; event: Event }> = [];
  const client = new LogClient(t.url, { token: t.tokens.viewer });
  const done = (async () => {
    for await (const e of client.stream({ ...options, signal: abort.signal })) got.push(e);
  })();
  return {
    got,
    stop: async () => {
      abort.abort();
      await done.catch(() => {});
    },
  };
}

describe("the live tail", () => {
  it("sends new events as they commit, each once, in order", async () => {
    const start = t.log.size;
    const s = collect();
    // Live once the server counts it (a stream at the tree size has nothing to backfill).
    await until(async () =>
      /^logseal_stream_subscribers 1$/m.test(
        await (await t.request("/metrics", { as: t.tokens.viewer })).text(),
      ),
    );
    const sent = Array.from({ length: 40 }, (_, i) => event(i, { id: `live-${i}` }));
    await Promise.all(Array.from({ length: 8 }, (_, k) => post(t, sent.slice(k * 5, k * 5 + 5))));
    await until(() => s.got.length >= 40);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    expect(s.got.map((g) => g.index)).toEqual(Array.from({ length: 40 }, (_, i) => start + i));
    const stored = await allEvents(t.log);
    for (const g of s.got) expect(g.event).toEqual(stored[g.index]);
  });

  it("backfills from ?from= and goes live with no gap or repeat while appends run", async () => {
    const writer = (async () => {
      for (let k = 0; k < 20; k++)
        await post(t, [event(k, { id: `bf-${k}-a` }), event(k, { id: `bf-${k}-b` })]);
    })();
    const s = collect({ from: 0 });
    await writer;
    await until(() => s.got.length >= t.log.size);
    await s.stop();
    expect(s.got.map((g) => g.index)).toEqual(Array.from({ length: t.log.size }, (_, i) => i));
  });

  it("resumes after Last-Event-ID", async () => {
    const s1 = collect({ from: 0 });
    await until(() => s1.got.length >= 10);
    await s1.stop();
    const last = s1.got.at(-1)?.index as number;
    const extra = await post(t, [event(100, { id: "resume-1" })]);
    expect(extra.status).toBe(200);
    const s2 = collect({ lastEventId: last });
    await until(() => s2.got.length >= t.log.size - last - 1);
    await s2.stop();
    expect(s2.got[0]?.index).toBe(last + 1);
    expect(s2.got.at(-1)?.event.id).toBe("resume-1");
    expect(s2.got.map((g) => g.index)).toEqual(
      Array.from({ length: t.log.size - last - 1 }, (_, i) => last + 1 + i),
    );
  });

  it("filters by the query parameters, in backfill and live", async () => {
    const s = collect({ from: 0, actor: "svc-trainer", outcome: "success" });
    await post(t, [event(3, { id: "filtered-1" }), event(4, { id: "filtered-2" })]);
    const want = (await allEvents(t.log))
      .map((e, index) => ({ e, index }))
      .filter(
        ({ e }) => (e.actor as { id: string }).id === "svc-trainer" && e.outcome === "success",
      )
      .map(({ index }) => index);
    await until(() => s.got.length >= want.length);
    await s.stop();
    expect(s.got.map((g) => g.index)).toEqual(want);
  });

  it("speaks the SSE wire format", async () => {
    const abort = new AbortController();
    const res = await t.request(`/v1/stream?from=${t.log.size - 1}`, {
      as: t.tokens.viewer,
      signal: abort.signal,
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("\n\nid: "))
      text += new TextDecoder().decode((await reader.read()).value);
    while (!/data: .*\n\n$/.test(text))
      text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).toMatch(
      new RegExp(
        `^retry: 1000\\n\\nid: ${t.log.size - 1}\\nevent: entry\\ndata: \\{"index":${t.log.size - 1},"event":\\{`,
      ),
    );
    expect((await t.request("/v1/stream?from=x", { as: t.tokens.viewer })).status).toBe(400);
  });

  it("outlives the request and keep-alive timeouts", async () => {
    const w = await startTestServer({
      requestTimeout: 300,
      headersTimeout: 300,
      keepAliveTimeout: 300,
      connectionsCheckingInterval: 50,
    });
    try {
      const abort = new AbortController();
      const got: number[] = [];
      const done = (async () => {
        const client = new LogClient(w.url, { token: w.tokens.viewer });
        for await (const e of client.stream({ from: 0, signal: abort.signal })) got.push(e.index);
      })().catch(() => {});
      await new Promise((r) => setTimeout(r, 900));
      expect((await post(w, [event(1)])).status).toBe(200);
      await until(() => got.length === 1);
      abort.abort();
      await done;
      expect(got).toEqual([0]);
    } finally {
      await w.stop();
    }
  });
});
