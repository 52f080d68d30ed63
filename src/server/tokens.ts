/**
 * API tokens: bearer secrets that carry a role (formats/http-api.md, "Tokens";
 * formats/storage.md, "Server tokens").
 *
 *   token   lsk_<base64url of 32 random bytes>          shown once, never stored
 *   id      hex of the first 6 bytes of SHA-256(token)   public, names the token
 *   key     tok/<id>
 *   value   {"id","name","role","sha256","created"[,"revoked"]} (UTF-8 JSON)
 *
 * Only the SHA-256 of a token is stored: a copy of the store does not give access to a server.
 * Revoking keeps the record (with `revoked`), so the list shows who had access and until when.
 */
import { createHash, randomBytes } from "node:crypto";
import { fromUtf8, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { LevelStore } from "../store/level-store.js";
import { isRole, ROLES, type Role } from "./roles.js";

/** What `token list` shows: everything but the hash. */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  /** ISO 8601 UTC. */
  created: string;
  /** ISO 8601 UTC, when revoked. */
  revoked?: string;
}

/** A stored token record: the info and the SHA-256 (hex) of the secret. */
export interface TokenRecord extends TokenInfo {
  sha256: string;
}

export const TOKEN_PREFIX = "tok/";
const TOKEN_RANGE = { gte: "tok/", lt: "tok0" } as const;
const TOKEN_RE = /^lsk_[A-Za-z0-9_-]{43}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const ID_RE = /^[0-9a-f]{12}$/;

export const tokenKey = (id: string): string => `${TOKEN_PREFIX}${id}`;

/** SHA-256 of the token text, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `text` has the shape of a token (`lsk_` and 43 base64url characters). */
export function isTokenShaped(text: string): boolean {
  return TOKEN_RE.test(text);
}

/** The public part of a record. */
export function tokenInfo(r: TokenRecord): TokenInfo {
  const info: TokenInfo = { id: r.id, name: r.name, role: r.role, created: r.created };
  if (r.revoked !== undefined) info.revoked = r.revoked;
  return info;
}

/**
 * Creates a token with `role` named `name` and stores its hash. The returned `token` is the
 * only copy of the secret.
 * @throws LogsealError E_USAGE (bad role or name, or an active token with that name), E_IO
 */
export async function createToken(
  store: LevelStore,
  options: { name: string; role: string; now?: Date },
): Promise<{ token: string; info: TokenInfo }> {
  const { token, info } = await createRecord(store, options);
  return { token, info };
}

async function createRecord(
  store: LevelStore,
  options: { name: string; role: string; now?: Date },
): Promise<{ token: string; info: TokenInfo; record: TokenRecord }> {
  const { name, role } = options;
  if (!isRole(role)) {
    throw new LogsealError(
      "E_USAGE",
      `unknown role ${JSON.stringify(role)}: use one of ${ROLES.join(", ")}`,
      { location: { field: "role" } },
    );
  }
  if (!NAME_RE.test(name)) {
    throw new LogsealError(
      "E_USAGE",
      `invalid token name ${JSON.stringify(name)}: use 1-64 letters, digits and . _ @ -, starting with a letter or digit`,
      { location: { field: "name" } },
    );
  }
  const existing = await listTokenRecords(store);
  if (existing.some((t) => t.name === name && t.revoked === undefined)) {
    throw new LogsealError(
      "E_USAGE",
      `an active token is already named ${JSON.stringify(name)}: choose another name or revoke it first`,
      { location: { field: "name" } },
    );
  }
  let token: string;
  let sha256: string;
  let id: string;
  do {
    token = `lsk_${randomBytes(32).toString("base64url")}`;
    sha256 = hashToken(token);
    id = sha256.slice(0, 12);
  } while (existing.some((t) => t.id === id));
  const record: TokenRecord = {
    id,
    name,
    role,
    sha256,
    created: (options.now ?? new Date()).toISOString(),
  };
  await store.write([{ key: tokenKey(id), value: utf8(JSON.stringify(record)) }]);
  return { token, info: tokenInfo(record), record };
}

/**
 * Every token record, revoked ones included, by id.
 * @throws LogsealError E_STORE_CORRUPT (a record that does not parse), E_IO
 */
export async function listTokenRecords(store: LevelStore): Promise<TokenRecord[]> {
  const out: TokenRecord[] = [];
  for await (const [key, value] of store.iterate(TOKEN_RANGE)) out.push(parseRecord(key, value));
  return out;
}

/** Every token, without hashes. */
export async function listTokens(store: LevelStore): Promise<TokenInfo[]> {
  return (await listTokenRecords(store)).map(tokenInfo);
}

/**
 * Revokes the token with id `nameOrId`, or else the active token named `nameOrId`. Revoking a
 * revoked token changes nothing and returns it.
 * @throws LogsealError E_NOT_FOUND, E_IO
 */
export async function revokeToken(
  store: LevelStore,
  nameOrId: string,
  now: Date = new Date(),
): Promise<TokenInfo> {
  return tokenInfo(await revokeRecord(store, nameOrId, now));
}

async function revokeRecord(store: LevelStore, nameOrId: string, now: Date): Promise<TokenRecord> {
  const all = await listTokenRecords(store);
  const found =
    all.find((t) => t.id === nameOrId) ??
    all.find((t) => t.name === nameOrId && t.revoked === undefined) ??
    all.find((t) => t.name === nameOrId);
  if (found === undefined) {
    throw new LogsealError(
      "E_NOT_FOUND",
      `no token has the name or id ${JSON.stringify(nameOrId)}: list them with 'logseal token list'`,
    );
  }
  if (found.revoked !== undefined) return found;
  const revoked: TokenRecord = { ...found, revoked: now.toISOString() };
  await store.write([{ key: tokenKey(found.id), value: utf8(JSON.stringify(revoked)) }]);
  return revoked;
}

function parseRecord(key: string, value: Uint8Array): TokenRecord {
  const bad = () =>
    new LogsealError("E_STORE_CORRUPT", `the token record ${key} is damaged`, {
      details: { key },
    });
  const text = fromUtf8(value);
  if (text === null) throw bad();
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    throw bad();
  }
  const o = r as Record<string, unknown>;
  if (
    typeof o !== "object" ||
    o === null ||
    typeof o.id !== "string" ||
    !ID_RE.test(o.id) ||
    key !== tokenKey(o.id) ||
    typeof o.name !== "string" ||
    !isRole(o.role) ||
    typeof o.sha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(o.sha256) ||
    typeof o.created !== "string" ||
    (o.revoked !== undefined && typeof o.revoked !== "string")
  ) {
    throw bad();
  }
  const record: TokenRecord = {
    id: o.id,
    name: o.name,
    role: o.role,
    sha256: o.sha256,
    created: o.created,
  };
  if (typeof o.revoked === "string") record.revoked = o.revoked;
  return record;
}

/**
 * The server's view of the tokens: every record in memory, looked up by the hash of the
 * presented secret. The server is the store's only writer while it runs, so its creates and
 * revokes keep the table current.
 */
export class TokenTable {
  readonly #store: LevelStore;
  #byHash = new Map<string, TokenRecord>();

  private constructor(store: LevelStore) {
    this.#store = store;
  }

  static async load(store: LevelStore): Promise<TokenTable> {
    const table = new TokenTable(store);
    await table.reload();
    return table;
  }

  async reload(): Promise<void> {
    const next = new Map<string, TokenRecord>();
    for (const r of await listTokenRecords(this.#store)) next.set(r.sha256, r);
    this.#byHash = next;
  }

  /** How many tokens are active. */
  get active(): number {
    let n = 0;
    for (const r of this.#byHash.values()) if (r.revoked === undefined) n++;
    return n;
  }

  /**
   * The record of a presented token, or why it is refused. The token text is
   * attacker-controlled: it is only shape-checked and hashed.
   */
  authenticate(
    token: string,
  ): { ok: true; record: TokenRecord } | { ok: false; reason: string; record?: TokenRecord } {
    if (!isTokenShaped(token)) return { ok: false, reason: "malformed token" };
    const record = this.#byHash.get(hashToken(token));
    if (record === undefined) return { ok: false, reason: "unknown token" };
    if (record.revoked !== undefined) return { ok: false, reason: "revoked token", record };
    return { ok: true, record };
  }

  async create(name: string, role: string): Promise<{ token: string; info: TokenInfo }> {
    const { token, info, record } = await createRecord(this.#store, { name, role });
    this.#byHash.set(record.sha256, record);
    return { token, info };
  }

  list(): TokenInfo[] {
    return [...this.#byHash.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(tokenInfo);
  }

  async revoke(nameOrId: string): Promise<TokenInfo> {
    const record = await revokeRecord(this.#store, nameOrId, new Date());
    this.#byHash.set(record.sha256, record);
    return tokenInfo(record);
  }
}
