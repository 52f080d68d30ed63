/**
 * The event-stream parser of the live tail's client (src/server/sse.ts) against the WHATWG
 * interpretation of `text/event-stream`, with the bytes cut at every position; and the
 * entries layer over it (`parseEntryChunks`).
 */
import { describe, expect, it } from "vitest";
import { parseEntryChunks, type StreamEntry } from "../../src/server/client.js";
import { SSE_MAX_EVENT, SseParser } from "../../src/server/sse.js";

interface Got {
  type: string;
  data: string;
  id: string;
}

/** Every event of `chunks` fed in order, and the parser after them. */
function parse(chunks: Uint8Array[]): { got: Got[]; parser: SseParser } {
  const parser = new SseParser();
  const got: Got[] = [];
  for (const c of chunks) parser.push(c, (type, data, id) => got.push({ type, data, id }));
  parser.end();
  return { got, parser };
}

const enc = (s: string) => new TextEncoder().encode(s);

// Every rule in one stream, each event written out by hand below.
const STREAM = [
  "\uFEFF", // one leading BOM: dropped
  "retry: 1500\r\n",
  ": a comment\r\n",
  "\r\n", // no data: nothing dispatched
  "id: 7\n",
  "event: entry\n",
  'data: {"a":"Zürich 東京 🚀"}\n', // 2-, 3- and 4-byte characters, for cuts inside them
  "\n",
  "data:first\r", // no space after the colon
  "data\r", // a field with no colon: the value is ""
  "data:  two spaces\r", // only the first space goes
  "\r",
  "id\n", // resets the last event ID
  "event: other\n",
  "data: x\n",
  "unknown: field\n",
  ": ping\n",
  "\n",
  "id: bad\u0000id\n", // ignored: it holds U+0000
  "data: y\n",
  "\n",
  "\uFEFFdata: not data\n", // a BOM after the start is part of the field name
  "\n",
  "data: \n", // one empty data line: an event with data ""
  "\n",
  "event: entry\n", // no data: nothing, and the type does not carry over
  "\n",
  "id: 9\r\ndata: z\r\ndata: zz\r\n\r\n", // a cut inside a CRLF must not make a blank line
  "data: unfinished\n", // the stream ends before its blank line: dropped
].join("");

const WANT: Got[] = [
  { type: "entry", data: '{"a":"Zürich 東京 🚀"}', id: "7" },
  { type: "message", data: "first\n\n two spaces", id: "7" },
  { type: "other", data: "x", id: "" },
  { type: "message", data: "y", id: "" },
  { type: "message", data: "", id: "" },
  { type: "message", data: "z\nzz", id: "9" },
];

describe("SseParser", () => {
  it("interprets the stream as WHATWG says: line ends, comments, fields, data lines, ids", () => {
    const { got, parser } = parse([enc(STREAM)]);
    expect(got).toEqual(WANT);
    expect(parser.retry).toBe(1500);
    expect(parser.lastEventId).toBe("9");
  });

  it("gives the same events whatever the bytes are cut at: CRLF pairs, lines, UTF-8 characters", () => {
    const bytes = enc(STREAM);
    for (let i = 0; i <= bytes.length; i++) {
      expect(parse([bytes.subarray(0, i), bytes.subarray(i)]).got, `cut at ${i}`).toEqual(WANT);
    }
    for (let i = 0; i < bytes.length; i += 7) {
      for (let j = i; j <= bytes.length; j += 5) {
        const cut = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
        expect(parse(cut).got, `cut at ${i} and ${j}`).toEqual(WANT);
      }
    }
    const one = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(parse(one).got).toEqual(WANT);
  });

  it("drops only a leading BOM, whichever chunk completes it", () => {
    const bom = enc("\uFEFFdata: a\n\n"); // EF BB BF …
    expect(parse([bom.subarray(0, 1), bom.subarray(1, 2), bom.subarray(2)]).got).toEqual([
      { type: "message", data: "a", id: "" },
    ]);
    expect(parse([enc("data: a\n\n\uFEFFdata: b\n\n")]).got).toEqual([
      { type: "message", data: "a", id: "" },
    ]);
  });

  it("takes a lone CR at the end of a chunk as a line end, and the LF after it as its pair", () => {
    // "data: a" CR | LF "data: b" CR | CR: one event "a\nb"; a blank line is CR after CR.
    const got = parse([enc("data: a\r"), enc("\ndata: b\r"), enc("\r")]).got;
    expect(got).toEqual([{ type: "message", data: "a\nb", id: "" }]);
    // CR | CR LF: two line ends (the second CRLF is the blank line).
    expect(parse([enc("data: a\r"), enc("\r\n")]).got).toEqual([
      { type: "message", data: "a", id: "" },
    ]);
  });

  it("decodes bytes that are not UTF-8 as the WHATWG decoder does, wherever they are cut", () => {
    const bad = [
      [0xff, 0xe6, 0x9d], // a byte never in UTF-8, then a sequence cut short
      [0xe6, 0x9d, 0x41, 0xf0, 0x9f, 0x9a], // cut short, twice
      [0xc0, 0xaf, 0xe0, 0x80, 0xaf], // overlong forms
      [0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80], // a surrogate, a code point past U+10FFFF
      [0xc3, 0xa9, 0x80, 0xbf], // é, then lone continuation bytes
    ];
    for (const value of bad) {
      const bytes = Uint8Array.of(...enc("data: "), ...value, ...enc("\n\n"));
      const want = [
        { type: "message", data: new TextDecoder().decode(Uint8Array.from(value)), id: "" },
      ];
      expect(want[0]?.data).toContain("\uFFFD");
      for (let i = 0; i <= bytes.length; i++) {
        expect(
          parse([bytes.subarray(0, i), bytes.subarray(i)]).got,
          `${value} cut at ${i}`,
        ).toEqual(want);
      }
    }
  });

  it("refuses a line longer than SSE_MAX_EVENT, and the data of an event past it", () => {
    const p = new SseParser();
    const chunk = `data: ${"x".repeat(1 << 20)}`;
    expect(() => {
      for (let i = 0; i <= SSE_MAX_EVENT >> 20; i++) p.pushText(chunk, () => {});
    }).toThrow(RangeError);
    const q = new SseParser();
    const line = `data: ${"x".repeat(1 << 20)}\n`;
    expect(() => {
      for (let i = 0; i <= SSE_MAX_EVENT >> 20; i++) q.pushText(line, () => {});
    }).toThrow(/holds more than/);
  });
});

async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function entries(parts: Uint8Array[]): Promise<StreamEntry[][]> {
  const out: StreamEntry[][] = [];
  for await (const b of parseEntryChunks(chunksOf(...parts))) out.push(b);
  return out;
}

describe("parseEntryChunks", () => {
  const frame = (i: number, extra = "") =>
    `id: ${i}\nevent: entry\ndata: {"index":${i},"event":{"v":1,"note":"é${extra}"}}\n\n`;

  it("gives the entries of each chunk as one batch, none for a chunk that completes none", async () => {
    const text = `retry: 1000\n\n${frame(0)}${frame(1)}: ping\n\n${frame(2, "🚀")}`;
    const bytes = enc(text);
    const cut = bytes.indexOf(enc("🚀")[0] as number) + 2; // inside the emoji
    const got = await entries([
      bytes.subarray(0, 40),
      bytes.subarray(40, cut),
      bytes.subarray(cut),
    ]);
    expect(got.map((b) => b.map((e) => e.index))).toEqual(
      [[], [0, 1], [2]].filter((b) => b.length),
    );
    expect(got.flat()).toEqual(
      [0, 1, 2].map((i) => ({ index: i, event: { v: 1, note: i === 2 ? "é🚀" : "é" } })),
    );
  });

  it("skips events of other types, and refuses an entry that is not one, naming its id", async () => {
    const other = "event: message\ndata: not json\n\n";
    expect((await entries([enc(other + frame(4))])).flat().map((e) => e.index)).toEqual([4]);
    for (const data of ["not json", '{"index":"1","event":{}}', '{"index":1}', "[1]", "null"]) {
      await expect(entries([enc(`id: 12\nevent: entry\ndata: ${data}\n\n`)])).rejects.toMatchObject(
        {
          id: "12",
        },
      );
    }
  });
});
