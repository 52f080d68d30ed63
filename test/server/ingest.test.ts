/** POST /v1/events: input forms, refusals that store nothing, retries, group commit, limits. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseVkey, verifyLog } from "../../src/index.js";
import { allEvents, event, post, startTestServer, type TestServer } from "./server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: 200_000, maxRequestEvents: 500 });
});
afterAll(() => t.stop());

interface AppendBody {
  size: number;
  appended: number;
  duplicates: number;
  entries: Array<{ index: number; duplicate: boolean; id?: string }>;
}
interface ErrorBody {
  ok: false;
  error: { code: string; message: string; line?: number; field?: string };
}

/** Runs `fn` and checks that the log did not grow. */
async function nothingStored(fn: () => Promise<void>): Promise<void> {
  const before = t.log.size;
  await fn();
  await new Promise((r) => setTimeout(r, 20));
  expect(t.log.size).toBe(before);
}

describe("POST /v1/events", () => {
  it("takes one object, an array, and JSON lines, and answers the indexes", async () => {
    const one = await post(t, event(1, { id: "one" }));
    expect(one.status).toBe(200);
    const a = (await one.json()) as AppendBody;
    expect(a).toMatchObject({
      appended: 1,
      duplicates: 0,
      entries: [{ duplicate: false, id: "one" }],
    });
    const first = a.entries[0]?.index as number;
    expect(a.size).toBe(first + 1);

    const arr = (await (await post(t, [event(2), event(3)])).json()) as AppendBody;
    expect(arr.entries.map((e) => e.index)).toEqual([first + 1, first + 2]);

    const lines = `${JSON.stringify(event(4))}\n\n${JSON.stringify(event(5))}\r\n`;
    const nd = await post(t, lines, t.tokens.writer, "application/x-ndjson");
    expect(((await nd.json()) as AppendBody).entries.map((e) => e.index)).toEqual([
      first + 3,
      first + 4,
    ]);
    const stored = await allEvents(t.log);
    expect(stored[first + 4]).toMatchObject({ ...event(5), v: 1 });
  });

  it("is retry-safe by id: the same request again appends nothing and answers the same indexes", async () => {
    const body = [event(10, { id: "retry-a" }), event(11, { id: "retry-b" })];
    const r1 = (await (await post(t, body)).json()) as AppendBody;
    const r2 = (await (await post(t, body)).json()) as AppendBody;
    expect(r1.appended).toBe(2);
    expect(r2).toMatchObject({ appended: 0, duplicates: 2, size: r1.size });
    expect(r2.entries.map((e) => e.index)).toEqual(r1.entries.map((e) => e.index));
    expect(r2.entries.every((e) => e.duplicate)).toBe(true);
    // Concurrent retries of one new id: exactly one is appended.
    const same = [event(12, { id: "retry-c" })];
    const all = (await Promise.all(
      Array.from({ length: 8 }, async () => (await post(t, same)).json()),
    )) as AppendBody[];
    expect(all.filter((r) => r.appended === 1)).toHaveLength(1);
    expect(new Set(all.map((r) => r.entries[0]?.index)).size).toBe(1);
  });

  it.each([
    ["not JSON", "{nope", "E_INPUT_JSON", 1, undefined],
    [
      "JSON lines with a broken second line",
      `${JSON.stringify(event(1))}\n{"a":`,
      "E_INPUT_JSON",
      2,
      undefined,
    ],
    ["an empty body", "", "E_INPUT_EMPTY", undefined, undefined],
    ["an array of numbers", "[1,2]", "E_INPUT_JSON", 1, undefined],
    ["a duplicate key", '{"action":"a.b","action":"c.d"}', "E_INPUT_JSON", 1, undefined],
    [
      "a wrong type on line 2",
      `${JSON.stringify(event(1))}\n${JSON.stringify(event(2, { outcome: 7 }))}`,
      "E_EVENT_INVALID",
      2,
      "outcome",
    ],
    [
      "an unknown field",
      JSON.stringify([event(1), event(2, { colour: "red" })]),
      "E_EVENT_INVALID",
      1,
      "colour",
    ],
    ["a producer-set at", JSON.stringify(event(1, { at: 5 })), "E_EVENT_INVALID", 1, "at"],
  ])("refuses %s with 400 and stores nothing", async (_n, body, code, line, field) => {
    await nothingStored(async () => {
      const r = await post(t, body);
      expect(r.status).toBe(400);
      const e = (await r.json()) as ErrorBody;
      expect(e.ok).toBe(false);
      expect(e.error.code).toBe(code);
      if (line !== undefined) expect(e.error.line).toBe(line);
      if (field !== undefined) expect(e.error.field).toBe(field);
    });
  });

  it("refuses an oversized body with 413 (by Content-Length and by stream) and stores nothing", async () => {
    const many = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify(event(i, { details: { pad: "x".repeat(300) } })),
    );
    await nothingStored(async () => {
      const r = await post(t, `[${many.join(",")}]`);
      expect(r.status).toBe(413);
      expect(((await r.json()) as ErrorBody).error.code).toBe("E_INPUT_TOO_LARGE");
    });
    // Chunked, no Content-Length: cut off while reading.
    await nothingStored(async () => {
      const chunks = many.map((m, i) => `${i === 0 ? "[" : ","}${m}`);
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next === undefined) {
            c.enqueue(new TextEncoder().encode("]"));
            c.close();
          } else c.enqueue(new TextEncoder().encode(next));
        },
      });
      const r = await fetch(`${t.url}/v1/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${t.tokens.writer}`, "Content-Type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(r.status).toBe(413);
    });
  });

  it("refuses a body that is not UTF-8 with 400 E_INPUT_JSON and stores nothing", async () => {
    const text = new TextEncoder().encode(JSON.stringify(event(1, { details: { note: "é" } })));
    // The é (0xc3 0xa9) cut to its first byte: an invalid sequence.
    const at = text.indexOf(0xa9);
    const bad = new Uint8Array([...text.subarray(0, at), ...text.subarray(at + 1)]);
    await nothingStored(async () => {
      const r = await t.request("/v1/events", {
        method: "POST",
        as: t.tokens.writer,
        headers: { "Content-Type": "application/json" },
        body: bad,
      });
      expect(r.status).toBe(400);
      const e = (await r.json()) as ErrorBody;
      expect(e.error.code).toBe("E_INPUT_JSON");
      expect(e.error.message).toContain("UTF-8");
    });
  });

  it("refuses more events than a request may hold with 413", async () => {
    await nothingStored(async () => {
      const r = await post(
        t,
        Array.from({ length: 501 }, (_, i) => event(i)),
      );
      expect(r.status).toBe(413);
      expect(((await r.json()) as ErrorBody).error.code).toBe("E_INPUT_TOO_LARGE");
    });
  });

  it("refuses an event over the leaf limit with 413 E_EVENT_TOO_LARGE naming its line", async () => {
    const big = event(2, { details: { blob: "y".repeat(70_000) } });
    const ndjson = [event(1), big].map((e) => JSON.stringify(e)).join("\n");
    await nothingStored(async () => {
      const big2 = await startTestServer({ maxBodyBytes: 1_000_000 });
      try {
        const r = await post(big2, ndjson);
        expect(r.status).toBe(413);
        const e = (await r.json()) as ErrorBody;
        expect(e.error.code).toBe("E_EVENT_TOO_LARGE");
        expect(e.error.line).toBe(2);
        expect(big2.log.size).toBe(0);
      } finally {
        await big2.stop();
      }
    });
  });

  it("refuses other content types (415) and compressed bodies", async () => {
    await nothingStored(async () => {
      expect((await post(t, JSON.stringify(event(1)), t.tokens.writer, "text/csv")).status).toBe(
        415,
      );
      const r = await t.request("/v1/events", {
        method: "POST",
        as: t.tokens.writer,
        headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
        body: JSON.stringify(event(1)),
      });
      expect(r.status).toBe(415);
    });
  });

  it("answers 405 with Allow for a wrong method, 404 for an unknown path, 400 for unknown parameters", async () => {
    const r = await t.request("/v1/events", { method: "PUT", as: t.tokens.admin, body: "{}" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, POST, HEAD");
    expect((await t.request("/v2/nothing", { as: t.tokens.admin })).status).toBe(404);
    expect((await t.request("/v1/events?colour=red", { as: t.tokens.admin })).status).toBe(400);
    expect((await t.request("/v1/proof/inclusion?index=01", { as: t.tokens.admin })).status).toBe(
      400,
    );
    expect((await t.request("/v1/events?limit=5&limit=6", { as: t.tokens.admin })).status).toBe(
      400,
    );
  });
});

describe("group commit", () => {
  it("batches concurrent writers into one consistent tree; one bad request fails alone", async () => {
    const w = await startTestServer();
    try {
      const requests = 120;
      const per = 25;
      const bodies = Array.from({ length: requests }, (_, r) =>
        Array.from({ length: per }, (_, i) => event(r * per + i, { id: `cw-${r}-${i}` })),
      );
      const bad = [event(0), event(1, { outcome: "maybe" })];
      const responses = await Promise.all([
        ...bodies.map(async (b) => ({ status: (await post(w, b)).status, body: b })),
        ...Array.from({ length: 5 }, async () => ({
          status: (await post(w, bad)).status,
          body: bad,
        })),
      ]);
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(requests);
      expect(statuses.filter((s) => s === 400)).toHaveLength(5);
      expect(w.log.size).toBe(requests * per);

      const events = await allEvents(w.log);
      const ids = events.map((e) => e.id as string);
      expect(new Set(ids).size).toBe(requests * per);
      // Each request's events are contiguous and in order: one request, one batch.
      for (let r = 0; r < requests; r++) {
        const at = ids.indexOf(`cw-${r}-0`);
        expect(ids.slice(at, at + per)).toEqual(
          Array.from({ length: per }, (_, i) => `cw-${r}-${i}`),
        );
      }
      const metrics = await (await w.request("/metrics", { as: w.tokens.viewer })).text();
      const batches = Number(/^logseal_append_batches_total (\d+)$/m.exec(metrics)?.[1]);
      expect(batches).toBeGreaterThan(0);
      expect(batches).toBeLessThan(requests); // some batches held several requests
      await w.log.checkpoint();
      const report = await verifyLog(w.log.store, { keys: [parseVkey(w.log.vkey)] });
      expect(report.ok).toBe(true);
      expect(report.entries).toBe(requests * per);
    } finally {
      await w.stop();
    }
  });

  it("group commits whose write fails mid-load fail only their bad requests; the pipeline recovers", async () => {
    const w = await startTestServer();
    try {
      // A contributor whose put LevelDB refuses at write time (no value) for any batch holding
      // an event with id "poison-…": the batch is prepared, its write fails, and the batch
      // prepared on top of it meanwhile is refused unwritten; the committer then retries each
      // request alone.
      w.log.addContributor({
        name: "poison",
        puts: async (entries) =>
          entries.some((e) => e.event.id?.startsWith("poison-"))
            ? [{ key: "z/poison", value: undefined as unknown as Uint8Array }]
            : [],
      });
      const requests = 80;
      const per = 25;
      const poisoned = new Set([20, 30, 55]);
      const bodies = Array.from({ length: requests }, (_, r) =>
        Array.from({ length: per }, (_, i) =>
          event(r * per + i, { id: poisoned.has(r) ? `poison-${r}-${i}` : `pf-${r}-${i}` }),
        ),
      );
      const responses = await Promise.all(
        bodies.map(async (b) => {
          const res = await post(w, b);
          return { status: res.status, body: (await res.json()) as AppendBody & ErrorBody };
        }),
      );
      // Only the poisoned requests fail; a request refused because another's write failed
      // before it is retried, not failed.
      const failed = responses.flatMap((r, i) => (r.status === 200 ? [] : [i]));
      expect(failed).toEqual([...poisoned]);
      for (const i of failed) {
        expect(responses[i]?.status).toBe(500);
        expect(responses[i]?.body.error.code).toBe("E_IO");
      }
      expect(w.log.size).toBe((requests - poisoned.size) * per);
      // Every acknowledged event is in the log at the index it was given; nothing else is.
      const events = await allEvents(w.log);
      for (const [r, res] of responses.entries()) {
        if (poisoned.has(r)) continue;
        for (const [i, e] of res.body.entries.entries()) {
          expect(events[e.index]?.id).toBe(`pf-${r}-${i}`);
        }
      }
      expect(events.some((e) => String(e.id).startsWith("poison-"))).toBe(false);
      await w.log.checkpoint();
      const report = await verifyLog(w.log.store, { keys: [parseVkey(w.log.vkey)] });
      expect(report.ok).toBe(true);
      expect(report.entries).toBe((requests - poisoned.size) * per);
    } finally {
      await w.stop();
    }
  });

  it("answers 503 with Retry-After when the write queue is full, and stores only what it acknowledged", async () => {
    const w = await startTestServer({ maxQueueEvents: 300, maxBatchEvents: 200 });
    // The first group commit is held in its preparation until the server has answered 503
    // once, so the queue fills however fast the server is (10 s at most, then the test fails).
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
      setTimeout(r, 10_000).unref();
    });
    w.log.addContributor({
      name: "hold",
      puts: async () => {
        await held;
        return [];
      },
    });
    try {
      const bodies = Array.from({ length: 60 }, (_, r) =>
        Array.from({ length: 100 }, (_, i) => event(i, { id: `bp-${r}-${i}` })),
      );
      const responses = await Promise.all(
        bodies.map(async (b) => {
          const r = await post(w, b);
          if (r.status === 503) release();
          return { status: r.status, retry: r.headers.get("retry-after"), body: b };
        }),
      );
      const ok = responses.filter((r) => r.status === 200);
      const busy = responses.filter((r) => r.status === 503);
      expect(ok.length + busy.length).toBe(60);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy.every((r) => Number(r.retry) >= 1)).toBe(true);
      expect(w.log.size).toBe(ok.length * 100);
      const ids = new Set((await allEvents(w.log)).map((e) => e.id));
      for (const r of busy) expect(ids.has(r.body[0]?.id)).toBe(false);
    } finally {
      await w.stop();
    }
  });

  it("rate-limits per token with 429 and Retry-After", async () => {
    const w = await startTestServer({ rateLimit: { rate: 1, burst: 3 } });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++)
        codes.push((await w.request("/v1/log", { as: w.tokens.viewer })).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const r = await w.request("/v1/log", { as: w.tokens.viewer });
      expect(r.headers.get("retry-after")).toBe("1");
      expect(((await r.json()) as ErrorBody).error.code).toBe("E_RATE_LIMITED");
      // Another token has its own bucket.
      expect((await w.request("/v1/log", { as: w.tokens.auditor })).status).toBe(200);
    } finally {
      await w.stop();
    }
  });
});
