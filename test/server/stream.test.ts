/** GET /v1/stream: live tail over server-sent events, backfill, resume from Last-Event-ID. */
import { connect } from "node:net";
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

  it("sends events as stored, masked: never a request's clear value", async () => {
    const s = collect();
    await until(async () =>
      /^logseal_stream_subscribers 1$/m.test(
        await (await t.request("/metrics", { as: t.tokens.viewer })).text(),
      ),
    );
    const r = await post(t, [
      event(1, { id: "pii-1", details: { contact: "jane.doe@example.com" } }),
    ]);
    const index = ((await r.json()) as { entries: Array<{ index: number }> }).entries[0]?.index;
    await until(() => s.got.some((g) => g.index === index));
    await s.stop();
    const streamed = s.got.find((g) => g.index === index) as (typeof s.got)[number];
    expect(JSON.stringify(streamed)).not.toContain("jane.doe");
    expect((streamed.event.details as { contact: string }).contact).toBe("j***@example.com");
    expect(streamed.event).toEqual((await allEvents(t.log))[index as number]);
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

  it("cuts off a subscriber that stops reading, and only that one; it resumes after its last id", async () => {
    const w = await startTestServer({ stream: { maxBuffer: 1024 * 1024 } });
    try {
      const metric = async (name: string) =>
        Number(
          new RegExp(`^${name} (\\d+)$`, "m").exec(
            await (await w.request("/metrics", { as: w.tokens.viewer })).text(),
          )?.[1],
        );
      // A raw client that reads the response headers, then nothing more.
      const { hostname, port } = new URL(w.url);
      let head = "";
      const stalled = connect(Number(port), hostname, () =>
        stalled.write(
          `GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.tokens.viewer}\r\n\r\n`,
        ),
      );
      stalled.setEncoding("utf8").on("data", (d: string) => {
        head += d;
        if (head.includes("retry: 1000")) stalled.pause();
      });
      stalled.on("error", () => {});
      const reader = new LogClient(w.url, { token: w.tokens.viewer });
      const abort = new AbortController();
      const got: number[] = [];
      const done = (async () => {
        for await (const e of reader.stream({ from: 0, signal: abort.signal })) got.push(e.index);
      })().catch(() => {});
      await until(async () => (await metric("logseal_stream_subscribers")) === 2);

      // Megabytes of events: more than the loopback socket buffers and the 1 MiB allowed, in
      // requests of 100 KiB, which a reader that keeps up takes in stride.
      const pad = "x".repeat(1000);
      let n = 0;
      while ((await metric("logseal_stream_dropped_total")) === 0) {
        const batch = Array.from({ length: 100 }, () =>
          event(n, { id: `slow-${n++}`, details: { pad } }),
        );
        expect((await post(w, batch)).status).toBe(200);
        if (n > 40_000) throw new Error("the stalled subscriber was never cut off");
      }
      await until(async () => (await metric("logseal_stream_subscribers")) === 1);
      // It reads what reached it before the cut, then goes away.
      stalled.resume();
      await new Promise((r) => setTimeout(r, 200));
      stalled.destroy();
      // The reader that keeps up gets everything, in order.
      await until(() => got.length === n, 20_000);
      abort.abort();
      await done;
      expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
      // The cut-off client resumes after the last id it read, with nothing skipped.
      const ids = [...head.matchAll(/^id: (\d+)\nevent: entry\ndata: .*\n\n/gm)].map((m) =>
        Number(m[1]),
      );
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.at(-1)).toBeLessThan(n - 1);
      const last = ids.at(-1) ?? -1;
      const again: number[] = [];
      const abort2 = new AbortController();
      const resumed = (async () => {
        for await (const e of reader.stream({ lastEventId: last, signal: abort2.signal })) {
          again.push(e.index);
          if (again.length === n - last - 1) abort2.abort();
        }
      })().catch(() => {});
      await until(() => again.length === n - last - 1, 20_000);
      await resumed;
      expect(again).toEqual(Array.from({ length: n - last - 1 }, (_, i) => last + 1 + i));
    } finally {
      await w.stop();
    }
  }, 60_000);
});
