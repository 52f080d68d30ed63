import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { globalAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogClient, LogsealError, type StreamEntry } from "../../src/index.js";
import {
  allEvents,
  event,
  hasOpenssl,
  post,
  selfSignedCert,
  startTestServer,
  type TestServer,
  until,
} from "./server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Collects batches in the background until aborted. */
function collect(options: Parameters<LogClient["streamBatches"]>[0] = {}) {
  const abort = new AbortController();
  const batches: StreamEntry[][] = [];
  const client = new LogClient(t.url, { token: t.tokens.viewer });
  const done = (async () => {
    for await (const b of client.streamBatches({ ...options, signal: abort.signal }))
      batches.push(b);
  })();
  return {
    batches,
    count: () => batches.reduce((n, b) => n + b.length, 0),
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

const subscribers = async () =>
  Number(
    /^logseal_stream_subscribers (\d+)$/m.exec(
      await (await t.request("/metrics", { as: t.tokens.viewer })).text(),
    )?.[1],
  );

describe("LogClient.streamBatches", () => {
  it("backfills, then sends live commits, in batches of whole chunks: every entry once, in order", async () => {
    // 600 stored events, with non-ASCII text so that chunks cut characters too.
    for (let k = 0; k < 3; k++) {
      const batch = Array.from({ length: 200 }, (_, i) =>
        event(i, { id: `b-${k}-${i}`, details: { note: `Zürich — 東京 🚀 ${k}/${i}` } }),
      );
      expect((await post(t, batch)).status).toBe(200);
    }
    const s = collect({ from: 0 });
    await until(() => s.count() >= t.log.size);
    const live = Array.from({ length: 400 }, (_, i) => event(i, { id: `live-${i}` }));
    expect((await post(t, live)).status).toBe(200);
    await until(() => s.count() >= t.log.size);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    const got = s.batches.flat();
    expect(got.map((g) => g.index)).toEqual(Array.from({ length: t.log.size }, (_, i) => i));
    expect(got.map((g) => g.event)).toEqual(await allEvents(t.log));
    expect(s.batches.every((b) => b.length > 0)).toBe(true);
    // About 400 bytes a frame: 1,000 entries come in tens of chunks, not one step each.
    expect(s.batches.length).toBeLessThan(got.length / 10);
  });

  it("resumes after lastEventId, with no gap or repeat", async () => {
    const s1 = collect({ from: 0 });
    await until(() => s1.count() >= 10);
    await s1.stop();
    const last = s1.batches.flat()[9]?.index as number;
    expect((await post(t, [event(1, { id: "resume-b" })])).status).toBe(200);
    const s2 = collect({ lastEventId: last });
    await until(() => s2.count() >= t.log.size - last - 1);
    await s2.stop();
    const got = s2.batches.flat();
    expect(got.map((g) => g.index)).toEqual(
      Array.from({ length: t.log.size - last - 1 }, (_, i) => last + 1 + i),
    );
    expect(got.at(-1)?.event.id).toBe("resume-b");
  });

  it("starts at the tree size by default, and filters as the query parameters say", async () => {
    const all = collect();
    const denied = collect({ outcome: "failure" });
    await until(async () => (await subscribers()) === 2);
    const sent = Array.from({ length: 20 }, (_, i) => event(i, { id: `f-${i}` }));
    const r = (await (await post(t, sent)).json()) as { entries: Array<{ index: number }> };
    await until(() => all.count() >= 20);
    const failures = sent.filter((e) => e.outcome === "failure").length;
    await until(() => denied.count() >= failures);
    await new Promise((r) => setTimeout(r, 50));
    await all.stop();
    await denied.stop();
    expect(all.batches.flat().map((g) => g.index)).toEqual(r.entries.map((e) => e.index));
    expect(denied.batches.flat().map((g) => g.event.id)).toEqual(
      sent.filter((e) => e.outcome === "failure").map((e) => e.id),
    );
  });

  it("stream() hands out the same entries one at a time, and closes the stream on break", async () => {
    const client = new LogClient(t.url, { token: t.tokens.viewer });
    const got: StreamEntry[] = [];
    for await (const e of client.stream({ from: 0 })) {
      got.push(e);
      if (got.length === 700) break;
    }
    expect(got.map((g) => g.index)).toEqual(Array.from({ length: 700 }, (_, i) => i));
    expect(got.map((g) => g.event)).toEqual((await allEvents(t.log)).slice(0, 700));
    await until(async () => (await subscribers()) === 0);
  });

  it("gives the server's error for a refused stream, E_SERVER for one that is not entries", async () => {
    const client = new LogClient(t.url, { token: t.tokens.viewer });
    const refused = client.streamBatches({ from: -1 })[Symbol.asyncIterator]().next();
    await expect(refused).rejects.toMatchObject({ code: "E_USAGE", details: { status: 400 } });

    // A server that speaks SSE but not the logseal API.
    const bad: Server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.end(
        'id: 3\nevent: entry\ndata: {"index":3,"event":{}}\n\nid: 4\nevent: entry\ndata: {"oops"\n\n',
      );
    });
    await new Promise<void>((r) => bad.listen(0, "127.0.0.1", r));
    try {
      const { port } = bad.address() as { port: number };
      const got: number[] = [];
      const run = (async () => {
        for await (const e of new LogClient(`http://127.0.0.1:${port}`).stream()) got.push(e.index);
      })();
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LogsealError);
      expect(err).toMatchObject({ code: "E_SERVER" });
      expect((err as Error).message).toMatch(
        /sent a stream event \(id "4"\) that is not a logseal entry/,
      );
      // Nothing after the bad entry; nothing before it lost.
      expect(got).toEqual([3]);
    } finally {
      await new Promise((r) => bad.close(r));
    }
  });

  it("answers E_SERVER, not a TypeError, for a 304 or a redirect in front of the stream", async () => {
    for (const [status, headers] of [
      [304, {}],
      [302, { Location: "/elsewhere" }],
    ] as const) {
      const proxy: Server = createServer((_req, res) => {
        res.writeHead(status, headers);
        res.end();
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      try {
        const { port } = proxy.address() as { port: number };
        const first = new LogClient(`http://127.0.0.1:${port}`)
          .streamBatches()
          [Symbol.asyncIterator]()
          .next();
        await expect(first).rejects.toMatchObject({ code: "E_SERVER" });
      } finally {
        await new Promise((r) => proxy.close(r));
      }
    }
  });

  it.skipIf(!hasOpenssl)(
    "streams over HTTPS (the agent's CA trusts the server's certificate)",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "logseal-tls-"));
      const pem = await selfSignedCert(dir);
      const w = await startTestServer({ tls: pem });
      const ca = globalAgent.options.ca;
      globalAgent.options.ca = pem.cert;
      try {
        // Appended through the server with the https module (fetch does not know the CA).
        const status = await new Promise<number | undefined>((resolve, reject) => {
          const req = httpsRequest(
            `${w.url}/v1/events`,
            {
              method: "POST",
              headers: {
                Authorization: `Bearer ${w.tokens.writer}`,
                "Content-Type": "application/json",
              },
            },
            (res) => res.resume().on("end", () => resolve(res.statusCode)),
          );
          req.on("error", reject);
          req.end(JSON.stringify([event(1, { id: "tls-1" }), event(2, { id: "tls-2" })]));
        });
        expect(status).toBe(200);
        const client = new LogClient(w.url, { token: w.tokens.viewer });
        const got: StreamEntry[] = [];
        for await (const batch of client.streamBatches({ from: 0 })) {
          got.push(...batch);
          if (got.length === 2) break;
        }
        expect(got.map((g) => g.event.id)).toEqual(["tls-1", "tls-2"]);
        // Without the CA the certificate is refused, as for every other request.
        globalAgent.options.ca = ca;
        const refused = client.streamBatches({ from: 0 })[Symbol.asyncIterator]().next();
        await expect(refused).rejects.toMatchObject({ code: "E_SERVER" });
      } finally {
        globalAgent.options.ca = ca;
        await w.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
