/**
 * The built CLI as separate processes: `logseal serve` holding a store, other `logseal`
 * commands reading and writing through it, SIGTERM, and `kill -9` with nothing acknowledged lost.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkInclusion,
  fromBase64,
  LogClient,
  open,
  openCheckpoint,
  parseVkey,
  verifyLog,
} from "../../src/index.js";
import { event, json, jsonl, logseal, ORIGIN } from "../cli/cli.js";
import { serve, storeForServer } from "./serve-process.js";

let store: string;
let cleanup: () => Promise<void>;
let tokens: Record<string, string>;

beforeAll(async () => {
  // One token through the CLI below.
  ({ store, tokens, cleanup } = await storeForServer(
    "cli",
    ["viewer", "auditor", "writer"],
    Array.from({ length: 5 }, (_, i) => event(i, { id: `pre-${i}` })),
  ));
  const r = await logseal([
    "token",
    "create",
    "--role",
    "admin",
    "--name",
    "admin-cli",
    "--store",
    store,
    "--json",
  ]);
  expect(r.code, r.stderr).toBe(0);
  expect(json(r)).toMatchObject({ name: "admin-cli", role: "admin" });
  tokens.admin = json<{ token: string }>(r).token;
});
afterAll(() => cleanup());

describe("a second logseal process and a running server", () => {
  it("reads and writes through the server that holds the store, then the server stops on SIGTERM", {
    timeout: 60_000,
  }, async () => {
    const s = await serve(store, "--checkpoint-interval", "0");
    try {
      const as = (role: string) => ({ env: { LOGSEAL_TOKEN: tokens[role] as string } });
      const b = (x: string) => fromBase64(x) as Uint8Array;

      // Independent commands run side by side (each is a process start).
      const [show, keys, appended, bad, sign, denied, none, explicit] = await Promise.all([
        logseal(["show", "2", "--store", store, "--json"], as("viewer")),
        logseal(["keys", "show", "--store", store, "--json"], as("viewer")),
        logseal(["append", "--store", store, "--json"], {
          ...as("writer"),
          input: jsonl([event(10, { id: "via-server" })]),
        }),
        logseal(["append", "--store", store], {
          ...as("writer"),
          input: `${JSON.stringify(event(1))}\n${JSON.stringify(event(2, { colour: 1 }))}\n`,
        }),
        logseal(["checkpoint", "--store", store, "--json"], as("admin")),
        logseal(["checkpoint", "--list", "--store", store], as("viewer")),
        logseal(["show", "0", "--store", store], { env: { LOGSEAL_TOKEN: "" } }),
        logseal(["show", "0", "--server", s.url, "--token", tokens.viewer as string, "--json"]),
      ]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stderr).toContain(`is held by 'logseal serve' at ${s.url}`);
      expect(json<{ event: { id: string } }>(show).event.id).toBe("pre-2");
      const vkey = json<{ vkey: string }>(keys).vkey;
      expect(vkey).toMatch(/^example\.com\/logseal\/test\+[0-9a-f]{8}\+/);
      expect(appended.code, appended.stderr).toBe(0);
      const at = json<{ appended: number; entries: Array<{ index: number; id: string }> }>(
        appended,
      );
      expect(at).toMatchObject({ appended: 1, entries: [{ id: "via-server" }] });
      const index = at.entries[0]?.index as number; // 5 or 6: a denial may come first
      expect(index === 5 || index === 6).toBe(true);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("E_EVENT_INVALID: <stdin>:2: field colour");
      expect(sign.code, sign.stderr).toBe(0);
      // Roles hold through the CLI: exit 4 for a denied role and for no token.
      expect(denied.code).toBe(4);
      expect(denied.stderr).toContain("E_FORBIDDEN");
      expect(none.code).toBe(4);
      expect(none.stderr).toContain("E_UNAUTHORIZED");
      expect(explicit.code, explicit.stderr).toBe(0);

      // Sign first: the proof below must find the appended event under the latest checkpoint.
      const signed = await logseal(["checkpoint", "--store", store, "--json"], as("admin"));
      const [list, proof, cons, made] = await Promise.all([
        logseal(["checkpoint", "--list", "--store", store, "--json"], as("auditor")),
        logseal(["prove", "inclusion", String(index), "--store", store, "--json"], as("viewer")),
        logseal(["prove", "consistency", "5", "--store", store, "--json"], as("viewer")),
        // Tokens are managed through the server too.
        logseal(
          ["token", "create", "--role", "viewer", "--name", "late", "--store", store, "--json"],
          as("admin"),
        ),
      ]);
      const size = json<{ size: number }>(signed).size;
      expect(size).toBe(7);
      expect(json<Array<{ size: number }>>(list).map((c) => c.size)).toContain(5);
      const p = json<{ leafHash: string; proof: string[]; checkpoint: string; size: number }>(
        proof,
      );
      const { checkpoint } = openCheckpoint(p.checkpoint, [parseVkey(vkey)], ORIGIN);
      expect(checkInclusion(index, p.size, b(p.leafHash), p.proof.map(b), checkpoint.root)).toBe(
        true,
      );
      expect(json(cons)).toMatchObject({ from: 5 });
      const late = json<{ token: string }>(made).token;
      expect((await logseal(["token", "revoke", "late", "--store", store], as("admin"))).code).toBe(
        0,
      );
      expect(
        (await logseal(["show", "0", "--store", store], { env: { LOGSEAL_TOKEN: late } })).code,
      ).toBe(4);

      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
      expect(s.stderr()).toContain("stopped at tree size");
    } finally {
      s.child.kill("SIGKILL");
    }
    expect(existsSync(join(store, "server.json"))).toBe(false);
    // The denials were logged, and the final checkpoint covers them.
    const log = await open(store);
    try {
      const size = log.size;
      expect((await log.latestCheckpoint())?.size).toBe(size);
      const denials = [];
      for (let i = 0; i < size; i++) {
        const e = (await log.get(i)).event;
        if (e.action === "access.denied") denials.push(e);
      }
      expect(denials.map((e) => e.actor.id).sort()).toEqual(["late", "viewer-cli"]);
    } finally {
      await log.close();
    }
  });

  it("takes concurrent logseal append processes: every event once, one verified tree", {
    timeout: 60_000,
  }, async () => {
    const s = await serve(store, "--checkpoint-interval", "0");
    let before = 0;
    try {
      before = (await new LogClient(s.url, { token: tokens.viewer as string }).info()).size;
      // Four writers; each pair shares 20 ids (a retry from another host): stored once.
      const runs = await Promise.all(
        [0, 1, 2, 3].map((w) =>
          logseal(["append", "--store", store, "--json"], {
            env: { LOGSEAL_TOKEN: tokens.writer as string },
            input: jsonl([
              ...Array.from({ length: 30 }, (_, i) => event(i, { id: `cw-${w}-${i}` })),
              ...Array.from({ length: 20 }, (_, i) => event(i, { id: `cw-shared-${w >> 1}-${i}` })),
            ]),
          }),
        ),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const answers = runs.map((r) =>
        json<{
          appended: number;
          duplicates: number;
          entries: Array<{ index: number; id: string }>;
        }>(r),
      );
      expect(answers.reduce((n, a) => n + a.appended, 0)).toBe(4 * 30 + 2 * 20);
      expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(2 * 20);
      // The two writers of a shared id were answered the same index.
      const byId = new Map<string, Set<number>>();
      for (const a of answers) {
        for (const e of a.entries) byId.set(e.id, (byId.get(e.id) ?? new Set()).add(e.index));
      }
      expect([...byId.values()].every((set) => set.size === 1)).toBe(true);
      expect(byId.size).toBe(4 * 30 + 2 * 20);
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    } finally {
      s.child.kill("SIGKILL");
    }
    const log = await open(store);
    try {
      expect(log.size).toBe(before + 160);
      const ids = await log.store.lookupIds([...Array(30).keys()].map((i) => `cw-3-${i}`));
      expect(ids.every((i) => i !== undefined && i >= before)).toBe(true);
      const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
      expect(report.ok, JSON.stringify(report.failures)).toBe(true);
    } finally {
      await log.close();
    }
  });

  it("loses nothing it acknowledged when killed with SIGKILL mid-load, and restarts", {
    timeout: 60_000,
  }, async () => {
    const s = await serve(store, "--checkpoint-interval", "1");
    const acked: string[] = [];
    let stop = false;
    // A live-tail reader from the start of the log, cut off by the kill; it resumes below.
    const seen: number[] = [];
    const tail = (async () => {
      const c = new LogClient(s.url, { token: tokens.viewer as string });
      for await (const e of c.stream({ from: 0 })) seen.push(e.index);
    })().catch(() => {});
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const ids = Array.from({ length: 50 }, (_, i) => `k-${w}-${n}-${i}`);
        try {
          const r = await fetch(`${s.url}/v1/events`, {
            method: "POST",
            headers: {
              Authorization: `Bearer ${tokens.writer}`,
              "Content-Type": "application/json",
            },
            body: JSON.stringify(ids.map((id, i) => event(i, { id }))),
          });
          if (r.status === 200) acked.push(...ids);
          await r.body?.cancel();
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    const until = Date.now() + 5000;
    while (acked.length < 3000 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    s.child.kill("SIGKILL");
    await s.exited;
    stop = true;
    await Promise.all(writers);
    expect(acked.length).toBeGreaterThan(1000);

    // Every acknowledged event is in the store, and the store verifies.
    const log = await open(store);
    try {
      const found = await log.store.lookupIds(acked);
      expect(found.filter((i) => i === undefined)).toHaveLength(0);
      const report = await verifyLog(log.store, { keys: [parseVkey(log.vkey)] });
      expect(report.ok, JSON.stringify(report.failures)).toBe(true);
    } finally {
      await log.close();
    }

    // A new server starts on the store (over the stale server.json) and serves the events.
    await tail;
    expect(seen.length).toBeGreaterThan(0);
    const size = await (async () => {
      const l = await open(store);
      try {
        return l.size;
      } finally {
        await l.close();
      }
    })();
    const again = await serve(store);
    try {
      // The tail resumes after the last index it got: every entry once, in order.
      // It may have kept up to the kill; three more entries make sure there is a live part.
      const lastSeen = seen.at(-1) as number;
      const more = await new LogClient(again.url, { token: tokens.writer as string }).append(
        [0, 1, 2].map((i) => event(i, { id: `after-restart-${i}` })),
      );
      expect(more.size).toBe(size + 3);
      const c = new LogClient(again.url, { token: tokens.viewer as string });
      const abort = new AbortController();
      for await (const e of c.stream({ lastEventId: lastSeen, signal: abort.signal })) {
        seen.push(e.index);
        if (e.index === more.size - 1) abort.abort();
      }
      expect(seen).toEqual(Array.from({ length: more.size }, (_, i) => i));
      const last = acked.at(-1) as string;
      const r = await fetch(`${again.url}/v1/events?limit=1000`, {
        headers: { Authorization: `Bearer ${tokens.viewer}` },
      });
      expect(r.status).toBe(200);
      const show = await logseal(["show", "0", "--store", store], {
        env: { LOGSEAL_TOKEN: tokens.viewer as string },
      });
      expect(show.code).toBe(0);
      expect(show.stderr).toContain(again.url);
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);
      const after = await open(store);
      try {
        expect(await after.store.lookupId(last)).toBeDefined();
      } finally {
        await after.close();
      }
    } finally {
      again.child.kill("SIGKILL");
    }
  });
});
