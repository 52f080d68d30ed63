/** End to end: init, keys show, append and checkpoint through the real CLI. */
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCheckpoint, parseVkey } from "../../src/index.js";
import { event, json, jsonl, logseal, ORIGIN, tempDir } from "./cli.js";

let dir: string;
let store: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = join(dir, "store");
});
afterEach(() => cleanup());

async function initStore(): Promise<string> {
  const r = await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return json<{ vkey: string }>(r).vkey;
}

async function size(): Promise<number> {
  const r = await logseal(["checkpoint", "--store", store, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return json<{ size: number }>(r).size;
}

describe("logseal init", () => {
  it("creates a store, a 0600 signing key and prints the vkey", async () => {
    const r = await logseal(["init", "--store", store, "--origin", ORIGIN, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ origin: string; vkey: string; store: string }>(r);
    expect(out.origin).toBe(ORIGIN);
    expect(out.store).toBe(store);
    expect(parseVkey(out.vkey).name).toBe(ORIGIN);
    expect((await stat(join(store, "signer.key"))).mode & 0o777).toBe(0o600);

    const human = await logseal(["keys", "show", "--store", store]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe(out.vkey);
    const j = json<{ vkey: string }>(await logseal(["keys", "show", "--store", store, "--json"]));
    expect(j.vkey).toBe(out.vkey);
  });

  it("refuses to overwrite a store and rejects a bad origin", async () => {
    const vkey = await initStore();
    const again = await logseal(["init", "--store", store, "--origin", ORIGIN]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("E_STORE_EXISTS");
    expect((await logseal(["keys", "show", "--store", store])).stdout.trim()).toBe(vkey);

    for (const origin of ["has space", "a+b", ""]) {
      const bad = await logseal(["init", "--store", join(dir, "other"), "--origin", origin]);
      expect(bad.code, origin).toBe(2);
      expect(bad.stderr).toContain("E_USAGE");
    }
    const missing = await logseal(["init", "--store", join(dir, "x")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--origin");
  });
});

describe("logseal append", () => {
  it("appends JSON lines, arrays, a single object and stdin, and reports indexes", async () => {
    await initStore();
    const file = join(dir, "events.jsonl");
    await writeFile(file, jsonl([event(0), event(1), event(2)]));
    const a = await logseal(["append", "--store", store, file, "--json"]);
    expect(a.code, a.stderr).toBe(0);
    expect(json(a)).toMatchObject({ size: 3, appended: 3, duplicates: 0 });
    expect(json<{ entries: { index: number }[] }>(a).entries.map((e) => e.index)).toEqual([
      0, 1, 2,
    ]);

    await writeFile(join(dir, "arr.json"), JSON.stringify([event(3), event(4)], null, 2));
    const b = await logseal(["append", "--store", store, join(dir, "arr.json")]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain("appended 2 events (index 3..4)");

    const c = await logseal(["append", "--store", store, "-", "--json"], {
      input: JSON.stringify(event(5)),
    });
    expect(c.code, c.stderr).toBe(0);
    expect(json(c)).toMatchObject({ size: 6, appended: 1 });
  });

  it("does not append an event twice by id and returns its index", async () => {
    await initStore();
    const first = await logseal(["append", "--store", store, "--json"], {
      input: jsonl([event(0, { id: "run-1" }), event(1, { id: "run-2" })]),
    });
    expect(first.code, first.stderr).toBe(0);
    const again = await logseal(["append", "--store", store, "--json"], {
      input: jsonl([
        event(2, { id: "run-2" }),
        event(3, { id: "run-3" }),
        event(4, { id: "run-3" }),
      ]),
    });
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({
      size: 3,
      appended: 1,
      duplicates: 2,
      entries: [
        { index: 1, duplicate: true, id: "run-2" },
        { index: 2, duplicate: false, id: "run-3" },
        { index: 2, duplicate: true, id: "run-3" },
      ],
    });
  });

  it("rejects a batch with one bad event, naming line and field, and stores nothing", async () => {
    await initStore();
    await logseal(["append", "--store", store], { input: jsonl([event(0)]) });
    const before = await logseal(["checkpoint", "--store", store]);

    const file = join(dir, "bad.jsonl");
    await writeFile(file, jsonl([event(1), event(2), { ...event(3), actor: { id: 7 } }, event(4)]));
    const r = await logseal(["append", "--store", store, file, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("E_EVENT_INVALID");
    expect(r.stderr).toContain(`${file}:3`);
    expect(r.stderr).toContain("actor.id");
    expect(json(r)).toMatchObject({
      ok: false,
      error: { code: "E_EVENT_INVALID", file, line: 3, field: "actor.id" },
    });

    // Nothing changed: same size, and signing again gives the very same note.
    const after = await logseal(["checkpoint", "--store", store]);
    expect(after.stdout).toBe(before.stdout);
  });

  it.each([
    ["malformed JSON lines", `${JSON.stringify(event(0))}\n{"ts": 1,\n`, "E_INPUT_JSON", ":2"],
    ["malformed array", '[\n{"a": 1},\n{"b": }\n]', "E_INPUT_JSON", ":3"],
    ["empty input", "", "E_INPUT_EMPTY", ""],
    ["whitespace", "  \n\n", "E_INPUT_EMPTY", ""],
    ["empty array", "[]", "E_INPUT_EMPTY", ""],
    ["a number", "42", "E_INPUT_JSON", ""],
    ["wrong type", JSON.stringify({ ...event(0), ts: "yesterday" }), "E_EVENT_INVALID", "ts"],
    ["unknown field", JSON.stringify({ ...event(0), colour: "red" }), "E_EVENT_INVALID", "colour"],
    ["at set by producer", JSON.stringify({ ...event(0), at: 5 }), "E_EVENT_INVALID", "at"],
    [
      "bad outcome",
      JSON.stringify({ ...event(0), outcome: "maybe" }),
      "E_EVENT_INVALID",
      "outcome",
    ],
    [
      "oversized event",
      JSON.stringify({ ...event(0), details: { blob: "x".repeat(70_000) } }),
      "E_EVENT_TOO_LARGE",
      "hash",
    ],
  ])("rejects %s with exit 2 and changes nothing", async (_name, input, code, hint) => {
    await initStore();
    const r = await logseal(["append", "--store", store], { input });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(code);
    expect(r.stderr).toContain(hint);
    expect(await size()).toBe(0);
  });

  it("rejects input that is not UTF-8", async () => {
    await initStore();
    const r = await logseal(["append", "--store", store], {
      input: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("UTF-8");
  });

  it("fails with exit 3 on a missing store", async () => {
    const r = await logseal(["append", "--store", join(dir, "nope")], {
      input: JSON.stringify(event(0)),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("E_STORE_MISSING");
    expect(r.stderr).toContain("logseal init");
  });
});

describe("logseal checkpoint", () => {
  it("signs the tree head as a C2SP note that opens with the vkey", async () => {
    const vkey = await initStore();
    await logseal(["append", "--store", store], { input: jsonl([event(0), event(1), event(2)]) });
    const r = await logseal(["checkpoint", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    const opened = openCheckpoint(r.stdout, [parseVkey(vkey)], ORIGIN);
    expect(opened.checkpoint.size).toBe(3);
    expect(r.stdout.startsWith(`${ORIGIN}\n3\n`)).toBe(true);
    expect(r.stdout).toMatch(
      new RegExp(`\n\n— ${ORIGIN.replaceAll(".", "\\.")} [A-Za-z0-9+/]+=*\n$`),
    );

    await logseal(["append", "--store", store], { input: jsonl([event(3)]) });
    await logseal(["checkpoint", "--store", store]);
    const list = await logseal(["checkpoint", "--list", "--store", store, "--json"]);
    expect(json<{ size: number }[]>(list).map((c) => c.size)).toEqual([3, 4]);
  });
});

describe("logseal init --signer", () => {
  it("imports an existing signer whose name is the origin, and refuses others", async () => {
    const { generateSigner } = await import("../../src/index.js");
    const own = generateSigner(ORIGIN);
    await writeFile(join(dir, "signer"), `${own.skey}\n`, { mode: 0o600 });
    const r = await logseal([
      "init",
      "--store",
      store,
      "--origin",
      ORIGIN,
      "--signer",
      join(dir, "signer"),
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ vkey: string }>(r).vkey).toBe(own.vkey);

    await writeFile(join(dir, "other"), generateSigner("example.com/other").skey);
    const wrong = await logseal([
      "init",
      "--store",
      join(dir, "s2"),
      "--origin",
      ORIGIN,
      "--signer",
      join(dir, "other"),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("E_KEY_INVALID");
    await writeFile(join(dir, "garbage"), "PRIVATE+KEY+nope");
    const bad = await logseal([
      "init",
      "--store",
      join(dir, "s3"),
      "--origin",
      ORIGIN,
      "--signer",
      join(dir, "garbage"),
    ]);
    expect(bad.code).toBe(2);
    const none = await logseal([
      "init",
      "--store",
      join(dir, "s4"),
      "--origin",
      ORIGIN,
      "--signer",
      join(dir, "missing"),
    ]);
    expect(none.code).toBe(3);
  });
});
