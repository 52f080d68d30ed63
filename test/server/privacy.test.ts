/**
 * Reveal and erase while a server holds the store: the routes on a real server over a real
 * store (roles, bad requests, erase then reveal, verify afterwards, a server without the vault
 * key), and the built CLI's `logseal reveal` / `logseal erase` going through a real
 * `logseal serve` process that holds the store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createToken,
  init,
  LogClient,
  open,
  parseVkey,
  startServer,
  verifyLog,
} from "../../src/index.js";
import { json, logseal, MAIN, ORIGIN, tempDir } from "../cli/cli.js";
import { allEvents, event, post, startTestServer, type TestServer, until } from "./server.js";

/** A logged event, as the tests read it. */
type Logged = { action: string; actor: { id: string }; details: Record<string, unknown> };
/** An error body. */
type ErrBody = { error: { code: string; field?: string } };

const JANE = "jane.doe@example.com";
const JOE = "joe.bloggs@example.org";

describe("POST /v1/privacy/reveal and /v1/privacy/erase", () => {
  let t: TestServer;
  let admin: LogClient;

  beforeAll(async () => {
    t = await startTestServer();
    admin = new LogClient(t.url, { token: t.tokens.admin });
    const r = await post(t, [
      event(0, { details: { customer: { email: JANE }, note: `call ${JOE} back` } }),
      event(1, { details: { contact: JOE } }),
      event(2),
    ]);
    expect(r.status).toBe(200);
  });
  afterAll(() => t.stop());

  it("reveals for an admin, checked against the commitment, and logs pii.reveal by the token's name", async () => {
    const size = t.log.size;
    const r = await admin.reveal(0, { reason: "ticket 7" });
    expect(r.index).toBe(0);
    expect(r.values.map((v) => v.value).sort()).toEqual([JANE, JOE].sort());
    expect(r.values.every((v) => v.verified === true)).toBe(true);
    expect(r.logged).toBe(size);
    const logged = (await allEvents(t.log))[r.logged] as Logged;
    expect(logged.action).toBe("pii.reveal");
    expect(logged.actor.id).toBe("admin-1");
    expect(logged.details).toMatchObject({ entry: 0, values: 2, reason: "ticket 7" });
    // The clear values never enter the log.
    expect(JSON.stringify(await allEvents(t.log))).not.toContain(JANE);

    const one = await admin.reveal(0, { field: "details.customer.email" });
    expect(one.values.map((v) => v.value)).toEqual([JANE]);
  });

  it("refuses other roles with 403 and logs the denial", async () => {
    for (const role of ["viewer", "auditor", "writer"] as const) {
      for (const [path, body] of [
        ["/v1/privacy/reveal", { index: 0 }],
        ["/v1/privacy/erase", { subject: JANE }],
      ] as const) {
        const res = await t.request(path, {
          method: "POST",
          as: t.tokens[role],
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(res.status, `${role} ${path}`).toBe(403);
        expect(((await res.json()) as ErrBody).error.code).toBe("E_FORBIDDEN");
      }
    }
    await until(async () => {
      const denied = (await allEvents(t.log)).filter(
        (e) =>
          e.action === "access.denied" &&
          String((e.details as { path?: unknown }).path).startsWith("/v1/privacy/"),
      );
      return denied.length === 6;
    });
  });

  it("answers bad requests with 400, the code and the field", async () => {
    const cases: Array<[string, string, string, string | undefined]> = [
      ["/v1/privacy/reveal", "{}", "E_USAGE", "index"],
      ["/v1/privacy/reveal", '{"index":-1}', "E_USAGE", "index"],
      ["/v1/privacy/reveal", '{"index":"0"}', "E_USAGE", "index"],
      ["/v1/privacy/reveal", '{"index":0,"field":7}', "E_USAGE", "field"],
      ["/v1/privacy/reveal", '{"index":0,"actor":"someone-else"}', "E_USAGE", "actor"],
      ["/v1/privacy/reveal", "not json", "E_INPUT_JSON", undefined],
      ["/v1/privacy/reveal", "[0]", "E_INPUT_JSON", undefined],
      ["/v1/privacy/erase", '{"subject":""}', "E_USAGE", "subject"],
      ["/v1/privacy/erase", '{"subject":"x","reason":5}', "E_USAGE", "reason"],
    ];
    for (const [path, body, code, field] of cases) {
      const res = await t.request(path, { method: "POST", as: t.tokens.admin, body });
      const err = ((await res.json()) as ErrBody).error;
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(err.code, `${path} ${body}`).toBe(code);
      expect(err.field).toBe(field);
    }
    // Things that are not there: 400 for an index beyond the log, 404 for nothing to reveal
    // or no such subject.
    await expect(admin.reveal(10_000)).rejects.toMatchObject({ code: "E_INDEX_RANGE" });
    await expect(admin.reveal(2)).rejects.toMatchObject({
      code: "E_NOT_MASKED",
      details: { status: 404 },
    });
    await expect(admin.erase("nobody@example.com")).rejects.toMatchObject({
      code: "E_SUBJECT_UNKNOWN",
      details: { status: 404 },
    });
  });

  it("erases a subject: data.erase by the token's name, reveal fails after, proofs and verify hold", async () => {
    const cpBefore = await admin.checkpoint();
    const proofBefore = await admin.proveInclusion(1, cpBefore.size);

    const r = await admin.erase(JOE, { reason: "DSR-2291" });
    expect(r.entries).toEqual([0, 1]);
    expect(r.fields).toHaveLength(2);
    const logged = (await allEvents(t.log))[r.entry] as Logged;
    expect(logged.action).toBe("data.erase");
    expect(logged.actor.id).toBe("admin-1");
    expect(logged.details.reason).toBe("DSR-2291");

    // Entry 1 held only Joe's value: erased, 410 Gone.
    await expect(admin.reveal(1)).rejects.toMatchObject({
      code: "E_ERASED",
      details: { status: 410 },
    });
    // Entry 0 still reveals Jane, and reports Joe's value as erased.
    const mixed = await admin.reveal(0);
    expect(mixed.values.find((v) => v.value === JANE)).toBeDefined();
    expect(mixed.values.filter((v) => v.value === undefined)).toHaveLength(1);
    await expect(admin.erase(JOE)).rejects.toMatchObject({ code: "E_ERASED" });

    // Nothing stored changed: the same inclusion proof against the old checkpoint, and the
    // whole log verifies against the pinned key.
    expect(await admin.proveInclusion(1, cpBefore.size)).toEqual(proofBefore);
    await admin.checkpoint();
    const report = await verifyLog(t.log.store, { keys: [parseVkey(t.log.vkey)] });
    expect(report.ok).toBe(true);
  });
});

describe("a server without the vault key", () => {
  it("answers reveal with E_VAULT_KEY_MISSING (409) and still erases", async () => {
    const { dir, cleanup } = await tempDir();
    const store = join(dir, "store");
    const made = await init(store, {
      origin: ORIGIN,
      privacy: { vaultKey: { passphrase: "correct horse battery staple" } },
    });
    const { token } = await createToken(made.store, { name: "dpo", role: "admin" });
    await made.append([event(0, { details: { contact: JANE } })]);
    await made.close();
    const log = await open(store); // no vault key given, and none in the store
    const server = await startServer(log, { port: 0, checkpointInterval: 0 });
    try {
      const c = new LogClient(server.url, { token });
      const e = await c.reveal(0).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: "E_VAULT_KEY_MISSING", details: { status: 409 } });
      expect((e as Error).message).toMatch(/restart 'logseal serve' with --vault-key/);
      const r = await c.erase(JANE);
      expect(r.entries).toEqual([0]);
    } finally {
      await server.close();
      await log.close();
      await cleanup();
    }
  });
});

describe("logseal reveal and erase through a running logseal serve", () => {
  let dir: string;
  let store: string;
  let cleanup: () => Promise<void>;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let adminToken: string;
  let viewerToken: string;
  let vkey: string;
  const PASS = { LOGSEAL_VAULT_PASSPHRASE: "served passphrase" };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    store = join(dir, "store");
    const log = await init(store, {
      origin: ORIGIN,
      privacy: { vaultKey: { passphrase: PASS.LOGSEAL_VAULT_PASSPHRASE } },
    });
    vkey = log.vkey;
    adminToken = (await createToken(log.store, { name: "dpo-alice", role: "admin" })).token;
    viewerToken = (await createToken(log.store, { name: "viewer-bob", role: "viewer" })).token;
    await log.append([
      event(0, { details: { customer: { email: JANE } } }),
      event(1, { details: { contact: JOE } }),
    ]);
    await log.close();
    // The server holds the store and the vault key (from the environment, as reveal takes it).
    child = spawn(
      process.execPath,
      [MAIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--json"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...PASS, NO_COLOR: "1" } },
    );
    exited = new Promise((r) => child?.on("exit", (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child?.stdout?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("\n")) resolve();
      });
      void exited.then((code) => reject(new Error(`serve exited ${code}`)));
    });
  });
  afterAll(async () => {
    child?.kill("SIGTERM");
    await exited;
    await cleanup();
  });

  it("reveals through the server (found from the store), logged with the token's name", async () => {
    const r = await logseal(["reveal", "0", "--store", store, "--json"], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/held by 'logseal serve'.*going through it/);
    const report = json<{ values: Array<{ value: string }>; logged: number }>(r);
    expect(report.values.map((v) => v.value)).toEqual([JANE]);
    const shown = await logseal(["show", String(report.logged), "--store", store, "--json"], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('"pii.reveal"');
    expect(shown.stdout).toContain('"dpo-alice"');

    // The text form names the token as who asked.
    const text = await logseal(["reveal", "0", "--store", store], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${JANE}  commitment ok`);
  });

  it("logseal serve with a wrong vault key stops at start, before it listens", async () => {
    const other = join(dir, "other");
    const made = await init(other, {
      origin: ORIGIN,
      privacy: { vaultKey: { passphrase: "right" } },
    });
    await made.close();
    const r = await logseal(["serve", "--store", other, "--listen", "127.0.0.1:0"], {
      env: { LOGSEAL_VAULT_PASSPHRASE: "wrong" },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/E_VAULT_KEY_WRONG/);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it("refuses --actor through a server, and a viewer's token", async () => {
    const a = await logseal(["reveal", "0", "--store", store, "--actor", "mallory"], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/E_USAGE.*--actor cannot be used through a logseal server/);
    const v = await logseal(["erase", "--subject", JOE, "--store", store], {
      env: { LOGSEAL_TOKEN: viewerToken },
    });
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/E_FORBIDDEN/);
  });

  it("erases through the server; reveal then fails and verify passes", async () => {
    const e = await logseal(["erase", "--subject", JOE, "--store", store, "--reason", "DSR-9"], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/erased subject \S+: 1 key destroyed, 1 value in 1 entry/);
    const again = await logseal(["reveal", "1", "--store", store, "--json"], {
      env: { LOGSEAL_TOKEN: adminToken },
    });
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe("E_ERASED");

    // Stop the server, then verify the store itself with its pinned key.
    child?.kill("SIGTERM");
    expect(await exited).toBe(0);
    child = undefined;
    const v = await logseal(["verify", "--store", store, "--key", vkey, "--json"], { env: PASS });
    expect(v.code, v.stderr).toBe(0);
    const log = await open(store, { vaultKey: { passphrase: PASS.LOGSEAL_VAULT_PASSPHRASE } });
    try {
      const actions = [];
      for (let i = 0; i < log.size; i++) actions.push((await log.get(i)).event);
      const erase = actions.find((x) => x.action === "data.erase");
      expect(erase?.actor.id).toBe("dpo-alice");
    } finally {
      await log.close();
    }
  });
});
