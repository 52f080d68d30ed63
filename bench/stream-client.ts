/**
 * The live-tail client's parse, without HTTP: µs of CPU an event to turn the bytes of
 * `GET /v1/stream` into `{index, event}` values, as `LogClient.stream` (one async step an
 * event), `LogClient.streamBatches` (one a network chunk) and the parser of commit c22370e
 * (`before`, copied below), variants interleaved round by round in one process so that all see
 * the same load.
 *
 *   npx tsx bench/stream-client.ts [--events N] [--chunk BYTES] [--rounds R] [--utf8 K]
 *                                  [--variants before,stream,batches,parse]
 *   node --import tsx --cpu-prof --cpu-prof-dir=DIR bench/stream-client.ts --variants stream
 *
 * The bytes are the server's: frames written as src/server/stream.ts `batchFrames` writes them
 * (`id: N\nevent: entry\ndata: {"index":N,"event":…}\n\n`, the event's JSON straight from its
 * leaf by `writeLeafJson`), of demo events (default 20,000, cycled from `demoScenario`, about
 * 400 bytes a frame), after the stream's `retry: 1000` and with a `: ping` every 1,000 frames,
 * cut into chunks of `--chunk` bytes (default 65,536, what a socket read delivers under load),
 * so chunks cut frames, lines and, with `--utf8 K` (every K-th event carries a note in
 * several scripts and an emoji), UTF-8 characters in half. The chunks come from an async
 * generator, one promise a chunk as `res.body` gives them.
 *
 * Each variant's consumer reads `index` and `event.ts` of every entry. Before timing, every
 * variant's output is checked equal to `before`'s (JSON of every entry). `parse` is the
 * parser alone, synchronous, with no async step at all: the floor under the other two.
 */

import { completeEvent, demoScenario, encodeLeaf, validateEvent } from "../src/index.js";
import { entriesOf, parseEntryChunks } from "../src/server/client.js";
import { JsonBytes, writeLeafJson } from "../src/server/leaf-json.js";
import { SseParser } from "../src/server/sse.js";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const EVENTS = Number(option("events", "20000"));
const CHUNK = Number(option("chunk", "65536"));
const ROUNDS = Number(option("rounds", "9"));
const UTF8 = Number(option("utf8", "0"));
const VARIANTS = option("variants", "before,stream,batches,parse").split(",");

type Entry = { index: number; event: { ts: number } };

// --- the bytes ---------------------------------------------------------------------------

function corpus(): Uint8Array[] {
  const demo = demoScenario({ days: 4 }).flatMap((d) => d.events);
  const out = new JsonBytes(EVENTS * 512 + 1024);
  out.ascii("retry: 1000\n\n");
  const at = Date.UTC(2026, 10, 26);
  for (let i = 0; i < EVENTS; i++) {
    const base = demo[i % demo.length] as Record<string, unknown>;
    const e: Record<string, unknown> = { ...base, id: `bench-${i}` };
    if (UTF8 > 0 && i % UTF8 === 0) {
      e.details = { ...(base.details as object), note: "Zürich — 東京, Ελλάδα 🚀" };
    }
    const leaf = encodeLeaf(completeEvent(validateEvent(e), at + i));
    out.ascii(`id: ${i}\nevent: entry\ndata: {"index":${i},"event":`);
    writeLeafJson(leaf, out);
    out.ascii("}\n\n");
    if (i % 1000 === 999) out.ascii(": ping\n\n");
  }
  const bytes = out.bytes.subarray(0, out.pos);
  const chunks: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; p += CHUNK) chunks.push(bytes.slice(p, p + CHUNK));
  return chunks;
}

async function* body(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

// --- before: LogClient.stream's parse at commit c22370e, verbatim but for its source ------

async function* before(res: { body: AsyncIterable<Uint8Array> }): AsyncGenerator<Entry> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let data = "";
      let type = "message";
      for (const raw of block.split("\n")) {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        const colon = line.indexOf(":");
        if (colon <= 0) continue; // a comment (": ping") or a bare field name
        const field = line.slice(0, colon);
        const value = line.slice(line.charAt(colon + 1) === " " ? colon + 2 : colon + 1);
        if (field === "data") data += data === "" ? value : `\n${value}`;
        else if (field === "event") type = value;
      }
      if (type !== "entry" || data === "") continue;
      yield JSON.parse(data) as Entry;
    }
  }
}

/** `LogClient.stream`: one async step an entry, over `streamBatches`' batches. */
function entries(chunks: Uint8Array[]): AsyncIterable<Entry> {
  return entriesOf(parseEntryChunks(body(chunks))) as AsyncIterable<Entry>;
}

// --- the variants ------------------------------------------------------------------------

/** Consumes every entry the way the bench's subscriber does; returns a checksum. */
type Run = (chunks: Uint8Array[]) => Promise<number>;

const runs: Record<string, Run> = {
  async before(chunks) {
    let sum = 0;
    for await (const e of before({ body: body(chunks) })) sum += e.index + (e.event.ts % 7);
    return sum;
  },
  async stream(chunks) {
    let sum = 0;
    for await (const e of entries(chunks)) sum += e.index + (e.event.ts % 7);
    return sum;
  },
  async batches(chunks) {
    let sum = 0;
    for await (const batch of parseEntryChunks(body(chunks)))
      for (const e of batch as Entry[]) sum += e.index + (e.event.ts % 7);
    return sum;
  },
  async parse(chunks) {
    let sum = 0;
    const parser = new SseParser();
    const listener = (type: string, data: string) => {
      if (type !== "entry") return;
      const e = JSON.parse(data) as Entry;
      sum += e.index + (e.event.ts % 7);
    };
    for (const c of chunks) parser.push(c, listener);
    return sum;
  },
};

async function collect(name: string, chunks: Uint8Array[]): Promise<string> {
  const got: unknown[] = [];
  if (name === "before") for await (const e of before({ body: body(chunks) })) got.push(e);
  else if (name === "stream") for await (const e of entries(chunks)) got.push(e);
  else if (name === "parse") {
    const parser = new SseParser();
    for (const c of chunks)
      parser.push(c, (type, data) => type === "entry" && got.push(JSON.parse(data)));
  } else for await (const b of parseEntryChunks(body(chunks))) got.push(...b);
  return JSON.stringify(got);
}

const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const chunks = corpus();
const bytes = chunks.reduce((n, c) => n + c.length, 0);
console.log(
  `${EVENTS.toLocaleString("en-US")} events, ${Math.round(bytes / EVENTS)} bytes a frame, ` +
    `${chunks.length} chunks of ${CHUNK} bytes${UTF8 > 0 ? `, every ${UTF8}th event non-ASCII` : ""}; ` +
    `Node ${process.version}; load ${(await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim()}`,
);
const reference = await collect("before", chunks);
for (const v of VARIANTS) {
  if (runs[v] === undefined) throw new Error(`unknown variant ${v}`);
  if ((await collect(v, chunks)) !== reference) throw new Error(`${v} parsed differently`);
}
const times: Record<string, number[]> = Object.fromEntries(VARIANTS.map((v) => [v, []]));
let check: number | undefined;
for (let r = 0; r < ROUNDS + 1; r++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = VARIANTS[(r + k) % VARIANTS.length] as string;
    const c0 = cpu();
    const sum = await (runs[v] as Run)(chunks);
    const us = (cpu() - c0) / EVENTS;
    if (check !== undefined && sum !== check) throw new Error(`${v}: checksum ${sum} ≠ ${check}`);
    check = sum;
    if (r > 0) (times[v] as number[]).push(us); // round 0 warms up
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const base = VARIANTS.includes("before") ? median(times.before as number[]) : undefined;
for (const v of VARIANTS) {
  const m = median(times[v] as number[]);
  const xs = (times[v] as number[]).map((x) => x.toFixed(2)).join(" ");
  const vs = base === undefined || v === "before" ? "" : `  (${(m / base).toFixed(2)}× before)`;
  console.log(`${v.padEnd(8)} ${m.toFixed(2)} µs CPU an event (median of ${ROUNDS}: ${xs})${vs}`);
}
console.log(`load ${(await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim()}`);
