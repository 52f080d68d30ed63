/**
 * A parser of the `text/event-stream` format, as the WHATWG HTML standard interprets it
 * ("Server-sent events", §9.2.6 Interpreting an event stream), for the live tail's client.
 *
 *   retry: 1000\r\n          a field: name, colon, one optional space, value
 *   : ping\n                 a comment (a line that starts with a colon)
 *   id: 41\n                 sets the last event ID (unless the value holds U+0000)
 *   event: entry\n           the event type (default "message")
 *   data: {"index":41,…}\n   data lines, joined with "\n"
 *   data\r                   a field with no colon: its value is ""
 *   \n                       an empty line dispatches the event (none when no data line came)
 *
 * Lines end with CRLF, LF or CR; the stream is UTF-8, one leading BOM is dropped; fields of
 * other names are ignored, and so is an event still unfinished when the stream ends. Bytes may
 * arrive cut anywhere: in a CRLF pair, a line, a UTF-8 character.
 *
 * The text of a chunk is scanned in place by positions: a line is handed on as its bounds in
 * the chunk's text, the data of an event is one `slice` of it (two or more lines only are
 * joined), and only the unfinished last line is kept for the next chunk. (measured)
 * bench/stream-client.ts: see client.ts `parseEntryChunks`.
 */
import { StringDecoder } from "node:string_decoder";

/** Receives one dispatched event: its type, its data, the last event ID at that point. */
export type SseListener = (type: string, data: string, id: string) => void;

/**
 * The most text one line, or the data of one event, may hold before the stream is refused:
 * an entry's JSON is at most a few hundred KiB (a leaf is at most 64 KiB).
 */
export const SSE_MAX_EVENT = 16 * 1024 * 1024;

/** The bytes decoded at a time (at most 2 × PIECE bytes of string). */
const PIECE = 16_384;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

export class SseParser {
  /** The last event ID of the last event dispatched (WHATWG: the "last event ID string"). */
  lastEventId = "";
  /** The reconnection time the stream last asked for (`retry: ms`), if any. */
  retry: number | undefined;

  // (measured) A TextDecoder in stream mode, which Node 20 runs through ICU, cost 0.65–1.5 ns
  // a byte on 64 KiB chunks, 0.3–0.6 µs of a 430-byte frame; a StringDecoder 0.10–0.18 ns.
  // It keeps a character cut at a chunk's end for the next, as the stream mode does, and gives
  // U+FFFD for bytes that are not UTF-8; the BOM is left to `pushText`.
  readonly #decoder = new StringDecoder("utf8");
  /** The unfinished last line of the text seen so far. */
  #rest = "";
  /** The last chunk ended in CR: an LF that starts the next one belongs to it. */
  #skipLF = false;
  #started = false;
  #data = "";
  #dataLines = 0;
  #type = "";
  #id = "";

  /** Parses the next bytes of the stream, calling `listener` for each event completed. */
  push(bytes: Uint8Array, listener: SseListener): void {
    // (measured) In pieces of PIECE bytes: the text of a whole 64 KiB chunk with one non-ASCII
    // character in it is a two-byte string of 128 KiB, which V8 puts in its large-object space,
    // freed only by full collections: 7 µs of CPU an entry instead of 2.2 when every chunk held
    // one (bench/stream-client.ts --utf8 100); 2.5 in pieces of 16 or 32 KiB.
    for (let p = 0; p < bytes.length; p += PIECE) {
      this.pushText(this.#decoder.write(bytes.subarray(p, p + PIECE)), listener);
    }
  }

  /** Parses the next text of the stream (as `push`, for text already decoded). */
  pushText(chunk: string, listener: SseListener): void {
    if (chunk === "") return;
    const t = this.#rest === "" ? chunk : this.#rest + chunk;
    const n = t.length;
    let pos = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (t.charCodeAt(0) === LF) pos = 1;
    }
    if (!this.#started) {
      this.#started = true;
      if (t.charCodeAt(pos) === BOM) pos++;
    }
    // The next LF and CR at or after `pos` (-1: none in `t`), each found once, not again for
    // every line: with no CR in a chunk, one search says so for all of its lines.
    let lf = t.indexOf("\n", pos);
    let cr = t.indexOf("\r", pos);
    for (;;) {
      if (lf !== -1 && lf < pos) lf = t.indexOf("\n", pos);
      if (cr !== -1 && cr < pos) cr = t.indexOf("\r", pos);
      let end: number;
      let next: number;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        if (lf === -1) break;
        end = lf;
        next = lf + 1;
      } else {
        end = cr;
        if (cr + 1 < n) next = t.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        else {
          next = n;
          this.#skipLF = true;
        }
      }
      this.#line(t, pos, end, listener);
      pos = next;
    }
    this.#rest = pos === n ? "" : t.slice(pos);
    if (this.#rest.length > SSE_MAX_EVENT) {
      throw new RangeError(`a line of the event stream is longer than ${SSE_MAX_EVENT} characters`);
    }
  }

  /**
   * The stream ended: an event still unfinished is dropped (WHATWG: "Once the end of the file
   * is reached, any pending data must be discarded").
   */
  end(): void {
    this.#decoder.end();
    this.#rest = "";
    this.#data = "";
    this.#dataLines = 0;
    this.#type = "";
  }

  /** The line `t[start, end)`. */
  #line(t: string, start: number, end: number, listener: SseListener): void {
    if (start === end) {
      this.#dispatch(listener);
      return;
    }
    let colon = start;
    while (colon < end && t.charCodeAt(colon) !== COLON) colon++;
    if (colon === start) return; // a comment
    let v = colon + 1;
    if (v < end && t.charCodeAt(v) === SPACE) v++;
    else if (colon === end) v = end; // no colon: the whole line is the name, the value ""
    switch (colon - start) {
      case 4:
        if (t.startsWith("data", start)) {
          if (this.#dataLines++ === 0) this.#data = t.slice(v, end);
          else {
            this.#data += `\n${t.slice(v, end)}`;
            if (this.#data.length > SSE_MAX_EVENT) {
              throw new RangeError(
                `an event of the event stream holds more than ${SSE_MAX_EVENT} characters of data`,
              );
            }
          }
        }
        return;
      case 5:
        if (t.startsWith("event", start)) {
          // The tail's one type, without a new string for each event.
          this.#type = end - v === 5 && t.startsWith("entry", v) ? "entry" : t.slice(v, end);
        } else if (t.startsWith("retry", start)) {
          const value = t.slice(v, end);
          if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        }
        return;
      case 2:
        if (t.startsWith("id", start)) {
          const value = t.slice(v, end);
          if (!value.includes("\0")) this.#id = value;
        }
        return;
      default:
        return;
    }
  }

  #dispatch(listener: SseListener): void {
    this.lastEventId = this.#id;
    if (this.#dataLines === 0) {
      this.#type = "";
      return;
    }
    const type = this.#type === "" ? "message" : this.#type;
    const data = this.#data;
    this.#data = "";
    this.#dataLines = 0;
    this.#type = "";
    listener(type, data, this.#id);
  }
}
