/**
 * `GET /v1/stream`: the live tail as server-sent events (WHATWG HTML, "Server-sent events").
 *
 *   retry: 1000
 *
 *   id: 41
 *   event: entry
 *   data: {"index":41,"event":{"v":1,"ts":…,"at":…,"actor":{…},"action":"…",…}}
 *
 *   : ping
 *
 * A subscriber starts at an index (`Last-Event-ID` + 1, `?from=`, or the current size): first
 * the stored entries up to the tree size are read back (backfill), then each committed batch is
 * pushed as it commits. The switch to live happens with no await between the last size check
 * and the flag, and a batch carries its indexes, so nothing is sent twice or skipped. A
 * subscriber that lets more than `maxBuffer` bytes pile up is disconnected; it resumes with
 * `Last-Event-ID`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LogReader } from "../store/reader.js";
import type { CommittedBatch } from "./committer.js";
import { readEntries } from "./entries.js";
import { JsonBytes, writeLeafJson } from "./leaf-json.js";
import type { ServerMetrics } from "./metrics.js";
import { type EventFilter, matches } from "./query.js";

interface Subscriber {
  res: ServerResponse;
  filter: EventFilter;
  /** The next index to send. */
  next: number;
  live: boolean;
  closed: boolean;
}

export interface StreamOptions {
  /** Bytes a subscriber may leave unread before it is disconnected (default 4 MiB). */
  maxBuffer: number;
  /** Comment line interval, keeping proxies and idle timers from closing the stream (ms). */
  heartbeat: number;
  /** The most concurrent subscribers. */
  maxSubscribers: number;
}

const frame = (index: number, json: string): string =>
  `id: ${index}\nevent: entry\ndata: ${json}\n\n`;

/** A committed batch's frames, one after another in one buffer; frame i ends at `ends[i]`. */
interface BatchFrames {
  bytes: Buffer;
  ends: number[];
}

/**
 * The frames of a batch, written straight from the leaves the append path has just encoded
 * (leaf-json.ts), the same text as {@link frame} of `JSON.stringify({index, event})`.
 * (measured) bench/serve.ts, one subscriber: see leaf-json.ts.
 */
function batchFrames(batch: CommittedBatch): BatchFrames {
  // ≈ 400 bytes a frame for demo events; the buffer grows when they are larger.
  const out = new JsonBytes(batch.entries.length * 512 + 256);
  const ends: number[] = new Array(batch.entries.length);
  for (let i = 0; i < batch.entries.length; i++) {
    const e = batch.entries[i] as CommittedBatch["entries"][number];
    out.ascii(`id: ${e.index}\nevent: entry\ndata: {"index":${e.index},"event":`);
    // Written ahead by an ingest worker (the same function, on its thread), else here.
    const json = batch.tail?.[i];
    if (json !== undefined) out.raw(json);
    else if (e.leaf !== undefined) writeLeafJson(e.leaf, out);
    else out.utf8(JSON.stringify(e.event));
    out.ascii("}\n\n");
    ends[i] = out.pos;
  }
  return { bytes: Buffer.from(out.bytes.buffer, out.bytes.byteOffset, out.pos), ends };
}

export class StreamHub {
  readonly #store: LogReader;
  readonly #size: () => number;
  readonly #metrics: ServerMetrics;
  readonly #options: StreamOptions;
  readonly #subs = new Set<Subscriber>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    store: LogReader,
    size: () => number,
    metrics: ServerMetrics,
    options: StreamOptions,
  ) {
    this.#store = store;
    this.#size = size;
    this.#metrics = metrics;
    this.#options = options;
    this.#timer = setInterval(() => {
      for (const s of this.#subs) if (s.live) s.res.write(": ping\n\n");
    }, options.heartbeat);
    this.#timer.unref();
  }

  get count(): number {
    return this.#subs.size;
  }

  get full(): boolean {
    return this.#subs.size >= this.#options.maxSubscribers;
  }

  /** Starts a stream on `res` at entry `from`. */
  subscribe(req: IncomingMessage, res: ServerResponse, from: number, filter: EventFilter): void {
    const sub: Subscriber = { res, filter, next: from, live: false, closed: false };
    this.#subs.add(sub);
    const drop = () => {
      sub.closed = true;
      this.#subs.delete(sub);
    };
    req.on("close", drop);
    res.on("close", drop);
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 1000\n\n");
    void this.#backfill(sub).catch(() => this.#end(sub));
  }

  /** Sends a committed batch to every live subscriber. */
  publish(batch: CommittedBatch): void {
    if (this.#subs.size === 0) return;
    const first = batch.entries[0]?.index ?? batch.size;
    // The batch's frames, built once as one buffer that every subscriber shares.
    let frames: BatchFrames | undefined;
    for (const sub of this.#subs) {
      if (!sub.live || sub.closed) continue;
      if (sub.next < first) {
        // A gap (cannot happen while batches are published in commit order): read it back.
        sub.live = false;
        void this.#backfill(sub).catch(() => this.#end(sub));
        continue;
      }
      if (sub.next >= batch.size) continue;
      frames ??= batchFrames(batch);
      let chunk: Buffer;
      let sent = 0;
      if (isEmpty(sub.filter)) {
        // From the first entry it has not had: a tail of the shared buffer, not a copy.
        const k = sub.next - first;
        chunk = frames.bytes.subarray(k === 0 ? 0 : (frames.ends[k - 1] as number));
        sent = batch.entries.length - k;
      } else {
        const parts: Buffer[] = [];
        for (let i = 0; i < batch.entries.length; i++) {
          const e = batch.entries[i] as CommittedBatch["entries"][number];
          if (e.index < sub.next || !matches(sub.filter, e.event)) continue;
          parts.push(
            frames.bytes.subarray(i === 0 ? 0 : (frames.ends[i - 1] as number), frames.ends[i]),
          );
        }
        chunk = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
        sent = parts.length;
      }
      sub.next = batch.size;
      if (sent === 0) continue;
      sub.res.write(chunk);
      this.#metrics.streamEvents.inc(undefined, sent);
      if (sub.res.writableLength > this.#options.maxBuffer) {
        this.#metrics.streamDropped.inc();
        // Destroyed, not ended: `end` would wait for the unread bytes to flush to a client that
        // reads nothing, keeping them in memory and the socket open for as long as it stalls.
        this.#end(sub);
        sub.res.destroy();
      }
    }
  }

  /** Ends every stream (shutdown). */
  close(): void {
    clearInterval(this.#timer);
    for (const sub of this.#subs) this.#end(sub);
  }

  async #backfill(sub: Subscriber): Promise<void> {
    while (!sub.closed) {
      const size = this.#size();
      if (sub.next >= size) {
        sub.live = true;
        return;
      }
      const to = Math.min(size, sub.next + 256);
      const entries = await readEntries(this.#store, sub.next, to);
      let text = "";
      let sent = 0;
      for (const e of entries) {
        if (!matches(sub.filter, e.event)) continue;
        text += frame(e.index, JSON.stringify({ index: e.index, event: e.event }));
        sent++;
      }
      sub.next = to;
      if (sent === 0 || sub.closed) continue;
      this.#metrics.streamEvents.inc(undefined, sent);
      if (!sub.res.write(text)) {
        await new Promise<void>((resolve) => {
          sub.res.once("drain", resolve);
          sub.res.once("close", resolve);
        });
      }
    }
  }

  #end(sub: Subscriber): void {
    sub.closed = true;
    this.#subs.delete(sub);
    sub.res.end();
  }
}

function isEmpty(f: EventFilter): boolean {
  for (const _ in f) return false;
  return true;
}
