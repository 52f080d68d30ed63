/**
 * POST /v1/events through the built `logseal serve`, where request bodies are parsed by an
 * ingest worker thread (`--ingest-workers 1`, what a 2-core machine gets by default) and, for
 * comparison, on the main thread (`--ingest-workers 0`): the same answers, the same stored
 * events, errors with the same codes and lines, all or nothing per request, retries by id.
 * (Under vitest the in-process servers of the other tests parse on the main thread: workers
 * start only from the built package.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event } from "../cli/cli.js";
import { type Served, serve, storeForServer } from "./serve-process.js";

let store: string;
let cleanup: () => Promise<void>;
let writer: string;
let viewer: string;
let admin: string;

beforeAll(async () => {
  let tokens: Record<string, string>;
  ({ store, tokens, cleanup } = await storeForServer("ingest", ["writer", "viewer", "admin"]));
  writer = tokens.writer as string;
  viewer = tokens.viewer as string;
  admin = tokens.admin as string;
});
afterAll(() => cleanup());

interface Answer {
  status: number;
  body: {
    size?: number;
    appended?: number;
    duplicates?: number;
    entries?: Array<{ index: number; duplicate: boolean; id?: string }>;
    error?: { code: string; line?: number; field?: string; message: string };
  };
}

async function stop(s: Served): Promise<void> {
  s.child.kill("SIGTERM");
  expect(await s.exited).toBe(0);
}

/** The same requests against a server parsing with `workers` threads; what it stored, by id. */
async function exercise(workers: string): Promise<Record<string, unknown>> {
  const s = await serve(store, "--checkpoint-interval", "0", "--ingest-workers", workers);
  try {
    const post = async (body: string | Uint8Array, type = "application/json"): Promise<Answer> => {
      const r = await fetch(`${s.url}/v1/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${writer}`, "Content-Type": type },
        body,
      });
      return { status: r.status, body: (await r.json()) as Answer["body"] };
    };
    const get = async (path: string) => {
      const r = await fetch(`${s.url}${path}`, { headers: { Authorization: `Bearer ${viewer}` } });
      expect(r.status, path).toBe(200);
      return r;
    };
    const size = async () => ((await (await get("/v1/log")).json()) as { size: number }).size;
    const tag = `w${workers}`;

    // The parsing threads are what was asked for.
    expect(await (await get("/metrics")).text()).toMatch(
      new RegExp(`^logseal_ingest_threads ${workers}$`, "m"),
    );

    // A live-tail subscriber for all that follows: its frames are compared at the end with the
    // same entries read back from the store.
    const tailFrom = await size();
    const live = frames(s.url, viewer, tailFrom);
    await live.ready;

    // Every input form: JSON lines with a BOM, CRLF and blank lines; a pretty array; one object
    // over several lines.
    const lines = [0, 1, 2].map((i) => event(i, { id: `${tag}-line-${i}` }));
    const nd = await post(
      `\uFEFF${JSON.stringify(lines[0])}\r\n\r\n${JSON.stringify(lines[1])}\n \t\n${JSON.stringify(lines[2])}`,
      "application/x-ndjson",
    );
    expect(nd.status).toBe(200);
    expect(nd.body.entries?.map((e) => e.id)).toEqual(lines.map((e) => e.id));
    const arr = [3, 4].map((i) =>
      event(i, { id: `${tag}-array-${i}`, details: { "2": [i], a: -0 } }),
    );
    expect((await post(JSON.stringify(arr, null, 2))).body.appended).toBe(2);
    const one = event(5, { id: `${tag}-one`, controls: ["A.8.11"] });
    expect((await post(`\n${JSON.stringify(one, null, 2)}\n\n`)).body.appended).toBe(1);

    // A bad event on line 3: refused whole, with its code, line and field; nothing stored.
    const before = await size();
    const bad = await post(
      [
        event(6, { id: `${tag}-bad-1` }),
        event(7, { id: `${tag}-bad-2` }),
        event(8, { id: `${tag}-bad-3`, colour: "red" }),
      ]
        .map((e) => JSON.stringify(e))
        .join("\n"),
      "application/x-ndjson",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "E_EVENT_INVALID", line: 3, field: "colour" });
    const syntax = await post(`${JSON.stringify(event(9))}\n{"actor": }\n`, "application/x-ndjson");
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: "E_INPUT_JSON", line: 2 });
    const control = await post(
      `${JSON.stringify(event(10))}\n${JSON.stringify(event(11, { controls: ["A.9.2.1"] }))}\n`,
      "application/x-ndjson",
    );
    expect(control.status).toBe(400);
    expect(control.body.error).toMatchObject({
      code: "E_CONTROL_UNKNOWN",
      line: 2,
      field: "controls[0]",
    });
    const big = await post(
      JSON.stringify([event(12), event(13, { details: { x: "y".repeat(70_000) } })]),
    );
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: "E_EVENT_TOO_LARGE", line: 1 });
    const notUtf8 = await post(Uint8Array.from([0x7b, 0xff, 0x7d]));
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.error?.code).toBe("E_INPUT_JSON");
    expect(await size()).toBe(before);

    // Retry by id: the same request again appends nothing and answers the same indexes.
    const retry = [14, 15].map((i) => JSON.stringify(event(i, { id: `${tag}-retry-${i}` })));
    const r1 = await post(retry.join("\n"), "application/x-ndjson");
    const r2 = await post(retry.join("\n"), "application/x-ndjson");
    expect(r1.body).toMatchObject({ appended: 2, duplicates: 0 });
    expect(r2.body).toMatchObject({ appended: 0, duplicates: 2 });
    expect(r2.body.entries?.map((e) => e.index)).toEqual(r1.body.entries?.map((e) => e.index));
    // A duplicate between new events: only the new ones are appended, and tailed.
    const mixed = await post(
      [event(17, { id: `${tag}-mixed-1` }), event(14, { id: `${tag}-retry-14` })]
        .map((e) => JSON.stringify(e))
        .concat(
          JSON.stringify(event(18, { id: `${tag}-mixed-2`, details: { "7": 1, z: "\u0001é" } })),
        )
        .join("\n"),
      "application/x-ndjson",
    );
    expect(mixed.body).toMatchObject({ appended: 2, duplicates: 1 });

    // Concurrent writers with one bad request among them: it alone fails.
    const start = await size();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        post(
          JSON.stringify(
            Array.from({ length: 25 }, (_, i) =>
              event(100 + i, {
                id: `${tag}-c${k}-${i}`,
                ...(k === 5 && i === 20 ? { outcome: "maybe" } : {}),
              }),
            ),
          ),
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 400, 200, 200]);
    expect(answers[5]?.body.error).toMatchObject({ code: "E_EVENT_INVALID", field: "outcome" });
    expect(await size()).toBe(start + 7 * 25);

    // Personal data, non-ASCII: masked where the request is prepared (the worker, or the main
    // thread with 0), sealed into the vault by the writer; an admin reveals the clear values.
    const email = `zoe.mueller.${tag}@example.de`;
    const personal = event(16, {
      id: `${tag}-pii`,
      details: { note: `Zoë Müller <${email}> 電話`, card: "4111 1111 1111 1111", 名前: "山田" },
    });
    const pii = await post(JSON.stringify(personal));
    expect(pii.status).toBe(200);
    const piiIndex = pii.body.entries?.[0]?.index as number;
    const shown = await (await get(`/v1/events/${piiIndex}`)).text();
    expect(shown).not.toContain(email);
    expect(shown).not.toContain("4111 1111 1111 1111");
    const revealed = await fetch(`${s.url}/v1/privacy/reveal`, {
      method: "POST",
      headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ index: piiIndex, reason: "test" }),
    });
    expect(revealed.status).toBe(200);
    const report = (await revealed.json()) as {
      values: Array<{ value?: string; verified?: boolean; kind: string }>;
    };
    expect(report.values.map((v) => v.value).sort()).toEqual(["4111 1111 1111 1111", email].sort());
    expect(report.values.every((v) => v.verified === true)).toBe(true);

    // The live frames (each event's JSON written by the ingest worker, or by the writer with
    // 0 workers) are byte for byte what the server sends when it reads the same entries back.
    const n = await size();
    const tailed = await live.until(n - tailFrom);
    const replay = frames(s.url, viewer, tailFrom);
    expect(await replay.until(n - tailFrom)).toEqual(tailed);
    expect(tailed.map((f) => (JSON.parse(f) as { index: number }).index)).toEqual(
      Array.from({ length: n - tailFrom }, (_, i) => tailFrom + i),
    );

    // What was stored, by id (the events as read back).
    const stored: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const { event: e } = (await (await get(`/v1/events/${i}`)).json()) as {
        event: { id?: string; at: number };
      };
      if (e.id?.startsWith(`${tag}-`) !== true) continue;
      // Keyed and compared without the server's tag and the integration time.
      const { at: _at, id, ...rest } = e;
      // The commitments are salted (random); the masks and their places are compared.
      const masked = (rest as { details?: { $masked?: Array<{ commit: string }> } }).details
        ?.$masked;
      for (const m of masked ?? []) m.commit = "";
      stored[id.slice(tag.length + 1)] = rest;
    }
    const untagged = (e: Record<string, unknown> | undefined) => {
      const { id: _id, ...rest } = e ?? {};
      return { v: 1, ...rest };
    };
    expect(stored["line-1"]).toEqual(untagged(lines[1]));
    expect(stored["array-3"]).toEqual({ ...untagged(arr[0]), details: { "2": [3], a: 0 } });
    expect(stored.one).toEqual(untagged(one));
    expect(JSON.stringify(stored.pii)).toContain("$masked");
    expect(Object.keys(stored)).toHaveLength(6 + 2 + 2 + 1 + 7 * 25);
    return stored;
  } finally {
    await stop(s);
  }
}

/**
 * The `data` of the `entry` frames of GET /v1/stream from `from`: `until(n)` resolves with the
 * first n once they have come (10 s at most), and closes the stream.
 */
function frames(url: string, token: string, from: number) {
  const abort = new AbortController();
  const got: string[] = [];
  let text = "";
  let wake = () => {};
  const response = fetch(`${url}/v1/stream?from=${from}`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  const reading = (async () => {
    const r = await response;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (!block.includes("event: entry")) continue;
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (data !== undefined) got.push(data.slice(6));
        }
        wake();
      }
    } catch {
      // aborted
    }
  })();
  return {
    ready: response.then((r) => expect(r.status).toBe(200)),
    async until(n: number): Promise<string[]> {
      const deadline = Date.now() + 10_000;
      while (got.length < n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      abort.abort();
      await reading;
      return got.slice(0, n);
    },
  };
}

describe("POST /v1/events through the built server", () => {
  it("parses in an ingest worker exactly as on the main thread", { timeout: 90_000 }, async () => {
    const inWorker = await exercise("1");
    const onMain = await exercise("0");
    expect(onMain).toEqual(inWorker);
  });
});
