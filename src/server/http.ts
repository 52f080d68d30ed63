/**
 * Responses: JSON bodies, the error body, and the HTTP status of each error code.
 *
 *   {"ok":false,"error":{"code":"E_EVENT_INVALID","message":"…","line":2,"field":"colour"}}
 *
 * The error body has the shape `logseal … --json` prints, so a client turns it back into the
 * same LogsealError.
 */
import type { ServerResponse } from "node:http";
import { type ErrorCode, LogsealError } from "../errors.js";

const STATUS: Partial<Record<ErrorCode, number>> = {
  E_USAGE: 400,
  E_INPUT_JSON: 400,
  E_INPUT_EMPTY: 400,
  E_EVENT_INVALID: 400,
  E_CONTROL_UNKNOWN: 400,
  E_EVENT_NOT_CANONICAL: 400,
  E_SOA_INVALID: 400,
  E_INDEX_RANGE: 400,
  E_EVENT_TOO_LARGE: 413,
  E_INPUT_TOO_LARGE: 413,
  E_NO_CHECKPOINT: 404,
  E_ASSET_UNKNOWN: 404,
  // The store's indexes must be rebuilt (`logseal reindex`, with the server stopped).
  E_INDEX_STALE: 409,
  E_NOT_FOUND: 404,
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_RATE_LIMITED: 429,
  E_SERVER_BUSY: 503,
  // Privacy (privacy-routes.ts): nothing masked there, no such subject, erased for good, and a
  // server without the vault key (restart it with one).
  E_NOT_MASKED: 404,
  E_SUBJECT_UNKNOWN: 404,
  E_ERASED: 410,
  E_VAULT_MISSING: 409,
  E_VAULT_KEY_MISSING: 409,
};

/** The HTTP status for an error: 500 for store, I/O and unexpected errors. */
export function statusFor(e: unknown): number {
  return e instanceof LogsealError ? (STATUS[e.code] ?? 500) : 500;
}

/** The JSON error body of `e`. */
export function errorBody(e: unknown): { ok: false; error: Record<string, unknown> } {
  if (!(e instanceof LogsealError)) {
    return { ok: false, error: { code: "E_INTERNAL", message: "internal error" } };
  }
  return { ok: false, error: e.toJSON() };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  body: Uint8Array | string,
  headers: Record<string, string | number>,
): void {
  res.writeHead(status, {
    "Content-Length": typeof body === "string" ? Buffer.byteLength(body) : body.length,
    ...headers,
  });
  res.end(body);
}

/** Sends `e` as the error body with its status (and Retry-After when it has one). */
export function sendError(
  res: ServerResponse,
  e: unknown,
  headers: Record<string, string | number> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusFor(e);
  const extra: Record<string, string | number> = { ...headers };
  const retry = e instanceof LogsealError ? e.details?.retryAfter : undefined;
  if (typeof retry === "number") extra["Retry-After"] = Math.max(1, Math.ceil(retry));
  if (status === 401) extra["WWW-Authenticate"] = 'Bearer realm="logseal"';
  sendJson(res, status, errorBody(e), extra);
}
