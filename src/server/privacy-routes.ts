/**
 * The privacy endpoints (formats/http-api.md, "Privacy"): reveal a masked value and erase a
 * data subject while the server holds the store, as `logseal reveal` and `logseal erase` do on
 * a store they open themselves. Both need the `admin` role (DESIGN.md, "Roles"), and both are
 * logged (`pii.reveal`, `data.erase`) with the token's name as the actor: the server knows who
 * asks from the token, so a request cannot name someone else.
 *
 *   POST /v1/privacy/reveal  {"index": 12, "field": "details.customer.email", "reason": "…"}
 *   POST /v1/privacy/erase   {"subject": "jane.doe@example.com", "reason": "DSR-2291"}
 *
 * Revealing needs the vault key, which the server holds when `logseal serve` was given it
 * (`--vault-key FILE`, `LOGSEAL_VAULT_KEY`, `LOGSEAL_VAULT_PASSPHRASE`, or `<store>/vault.key`);
 * erasing does not (it destroys keys, it never opens them).
 */
import { LogsealError } from "../errors.js";
import type { EventInput } from "../event/index.js";
import { eraseSubject, type LogAccess, revealEntry } from "../privacy/access.js";
import { sendJson } from "./http.js";
import { readBodyText } from "./ingest.js";
import type { Ctx, Route, RouteState } from "./routes.js";

/** The largest body of a privacy request: a subject, a path and a reason. */
const MAX_BODY = 64 * 1024;

/** The privacy routes over `s`, by path, for the route table. */
export function privacyRoutes(s: RouteState): Record<string, Partial<Record<string, Route>>> {
  // Reads of entries never overlap a batch being written (gate.ts); the logged event joins the
  // group commit, so it reaches the live tail like any other.
  const through: LogAccess = {
    read: (fn) => s.gate.read(fn),
    append: async (events) => (await s.committer.submit(events as EventInput[])).results,
  };
  // One privacy operation at a time: two erasures of one subject must not both find its keys
  // live and both log a data.erase.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const reveal = async (ctx: Ctx) => {
    const body = await readRequest(ctx, ["index", "field", "reason"]);
    const index = body.index;
    if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) {
      throw usage("index must be an entry index (an integer ≥ 0)", "index");
    }
    const field = optionalString(body, "field");
    const reason = optionalString(body, "reason");
    const report = await serialised(() =>
      revealEntry(s.log, index, {
        actor: ctx.who.name,
        through,
        ...(field === undefined ? {} : { field }),
        ...(reason === undefined ? {} : { reason }),
      }),
    ).catch((e: unknown) => {
      if (e instanceof LogsealError && e.code === "E_VAULT_KEY_MISSING") {
        throw new LogsealError(
          "E_VAULT_KEY_MISSING",
          "this server holds no vault key: restart 'logseal serve' with --vault-key FILE, LOGSEAL_VAULT_KEY or LOGSEAL_VAULT_PASSPHRASE to reveal through it",
          { cause: e },
        );
      }
      throw e;
    });
    sendJson(ctx.res, 200, report);
  };

  const erase = async (ctx: Ctx) => {
    const body = await readRequest(ctx, ["subject", "reason"]);
    const subject = body.subject;
    if (typeof subject !== "string" || subject === "") {
      throw usage(
        "subject must be a non-empty string (a subject id, or the value itself)",
        "subject",
      );
    }
    const reason = optionalString(body, "reason");
    const report = await serialised(() =>
      eraseSubject(s.log, subject, {
        actor: ctx.who.name,
        through,
        ...(reason === undefined ? {} : { reason }),
      }),
    );
    sendJson(ctx.res, 200, report);
  };

  return {
    "/v1/privacy/reveal": {
      POST: { name: "privacy.reveal", permission: "reveal", handle: reveal },
    },
    "/v1/privacy/erase": { POST: { name: "privacy.erase", permission: "erase", handle: erase } },
  };
}

/** The JSON object of the request body, refusing query parameters and unknown members. */
async function readRequest(ctx: Ctx, allowed: readonly string[]): Promise<Record<string, unknown>> {
  for (const name of ctx.url.searchParams.keys()) {
    throw usage(`${ctx.url.pathname} takes no query parameters, got ${JSON.stringify(name)}`, name);
  }
  const text = await readBodyText(ctx.req, MAX_BODY);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LogsealError(
      "E_INPUT_JSON",
      `the body of ${ctx.url.pathname} is not JSON: send one JSON object`,
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new LogsealError(
      "E_INPUT_JSON",
      `the body of ${ctx.url.pathname} must be one JSON object`,
    );
  }
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) {
      throw usage(
        `unknown member ${JSON.stringify(name)}: ${ctx.url.pathname} takes ${allowed.join(", ")}`,
        name,
      );
    }
  }
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw usage(`${name} must be a non-empty string`, name);
  return v;
}

function usage(message: string, field: string): LogsealError {
  return new LogsealError("E_USAGE", message, { location: { field } });
}
