/**
 * Byte helpers used across the core. Bytes are `Uint8Array` everywhere inside `src/`;
 * text and base64 are converted at the edges with these functions only.
 */

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 (RFC 4648 §4), the only form logseal emits. */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/**
 * Strict base64 decode: standard alphabet, `=` padding required, no whitespace, no URL-safe
 * characters. Node's `Buffer.from(s, "base64")` silently skips garbage, so the regex decides.
 * Non-zero trailing bits are accepted, as Go's `base64.StdEncoding` does (`QR==` is 0x41).
 * @returns the bytes, or `null` when `s` is not strict base64. Never throws.
 */
export function fromBase64(s: string): Uint8Array | null {
  if (typeof s !== "string" || !B64_RE.test(s)) return null;
  const buf = Buffer.from(s, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Lowercase or uppercase hex of even length; `null` on anything else. */
export function fromHex(s: string): Uint8Array | null {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const buf = Buffer.from(s, "hex");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as text: signed bytes must round-trip exactly.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8; `null` on an invalid encoding. */
export function fromUtf8(b: Uint8Array): string | null {
  try {
    return decoder.decode(b);
  } catch {
    return null;
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Byte equality. Not constant-time: use only on public data (hashes, roots). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
