/** Tokens in the store (tok/<id>), the token table, and the token bucket. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, init, type Log, listTokens, revokeToken } from "../../src/index.js";
import { TokenBucket } from "../../src/server/rate-limit.js";
import { hashToken, TokenTable } from "../../src/server/tokens.js";

let dir: string;
let log: Log;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logseal-tokens-"));
  log = await init(join(dir, "store"), { origin: "example.com/logseal/tokens" });
});
afterAll(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

describe("tokens", () => {
  it("creates a token shown once and stores only its SHA-256 under tok/<id>", async () => {
    const { token, info } = await createToken(log.store, { name: "ci", role: "writer" });
    expect(token).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);
    expect(info.id).toBe(hashToken(token).slice(0, 12));
    const stored: Array<[string, string]> = [];
    for await (const [k, v] of log.store.iterate({ gte: "tok/", lt: "tok0" })) {
      stored.push([k, Buffer.from(v).toString("utf8")]);
    }
    expect(stored).toHaveLength(1);
    expect(stored[0]?.[0]).toBe(`tok/${info.id}`);
    expect(stored[0]?.[1]).not.toContain(token.slice(4));
    expect(JSON.parse(stored[0]?.[1] as string)).toEqual({ ...info, sha256: hashToken(token) });
    expect(await listTokens(log.store)).toEqual([info]);
  });

  it.each([
    [{ name: "x", role: "root" }, /unknown role "root"/],
    [{ name: "", role: "viewer" }, /invalid token name/],
    [{ name: "has space", role: "viewer" }, /invalid token name/],
    [{ name: "a".repeat(65), role: "viewer" }, /invalid token name/],
    [{ name: "ci", role: "viewer" }, /already named "ci"/],
  ])("refuses %o", async (options, message) => {
    await expect(createToken(log.store, options)).rejects.toThrow(message);
  });

  it("revokes by name or id, keeps the record, and frees the name", async () => {
    const a = await createToken(log.store, { name: "auditor-q3", role: "auditor" });
    const table = await TokenTable.load(log.store);
    expect(table.authenticate(a.token)).toMatchObject({ ok: true });
    const revoked = await revokeToken(log.store, "auditor-q3");
    expect(revoked.revoked).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await revokeToken(log.store, a.info.id)).toEqual(revoked); // again: unchanged
    await table.reload();
    expect(table.authenticate(a.token)).toMatchObject({ ok: false, reason: "revoked token" });
    const again = await createToken(log.store, { name: "auditor-q3", role: "auditor" });
    expect(again.info.id).not.toBe(a.info.id);
    expect((await listTokens(log.store)).filter((t) => t.name === "auditor-q3")).toHaveLength(2);
    await expect(revokeToken(log.store, "nobody")).rejects.toThrow(/no token has the name or id/);
  });

  it("refuses what is not a token without looking further", async () => {
    const table = await TokenTable.load(log.store);
    for (const t of ["", "lsk_", "lsk_short", `lsk_${"A".repeat(44)}`, `LSK_${"A".repeat(43)}`]) {
      expect(table.authenticate(t)).toEqual({ ok: false, reason: "malformed token" });
    }
    expect(table.authenticate(`lsk_${"A".repeat(43)}`)).toEqual({
      ok: false,
      reason: "unknown token",
    });
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then the rate", () => {
    const b = new TokenBucket({ rate: 10, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    expect(b.take(0)).toBeCloseTo(0.1);
    expect(b.take(50)).toBeCloseTo(0.05); // half a token back after 50 ms
    expect(b.take(100)).toBe(0);
    expect(b.full(1000)).toBe(true);
  });
});
