/**
 * The TUI through a real logseal server on 127.0.0.1: the same screens on the server data
 * source (live tail over /v1/stream, filters over /v1/events, verify over the published
 * tiles), and `logseal tui` finding the server that holds a store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, LogClient, type LogServer, startServer } from "../../src/index.js";
import { ServerSource } from "../../tui/data/server.js";
import { json, logseal } from "../cli/cli.js";
import { ev, makeStore, renderApp, type, waitFor } from "./helpers.js";

let s: Awaited<ReturnType<typeof makeStore>>;
let server: LogServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await makeStore(700, { index: false });
  for (const role of ["auditor", "writer"] as const) {
    tokens[role] = (await createToken(s.log.store, { name: `${role}-tui`, role })).token;
  }
  server = await startServer(s.log, { host: "127.0.0.1", port: 0, checkpointInterval: 0 });
});
afterAll(async () => {
  await server.close();
  await s.cleanup();
});

describe("tui on a server", () => {
  it("tails appends live, filters, checks checkpoints and verifies through the tiles", async () => {
    const auditor = tokens.auditor as string;
    const source = await ServerSource.connect(
      new LogClient(server.url, { token: auditor }),
      auditor,
    );
    const r = renderApp(source, s.log, { rows: 24, columns: 110 });
    try {
      let f = await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]") && /^> +699 /m.test(f));
      expect(f).toContain(`server ${server.url}`);
      const writer = new LogClient(server.url, { token: tokens.writer as string });
      await writer.append([ev(700), ev(701)]);
      f = await waitFor(r.lastFrame, (f) => /^> +701 /m.test(f));
      expect(f).toContain("702 entries");
      await type(r.stdin, "k");
      await waitFor(r.lastFrame, (f) => /^> +700 /m.test(f) && f.includes("[PAUSED]"));
      await writer.append([ev(702)]);
      await waitFor(r.lastFrame, (f) => f.includes("+1 new"));
      await type(r.stdin, "f", ..."actor=bob !outcome=denied", "\r");
      f = await waitFor(
        r.lastFrame,
        (f) => f.includes("filter: actor=bob") && !f.includes("filtering"),
      );
      // bob: n = 1 mod 3 among 0..702 (234), denied when n = 7 mod 12 (58).
      expect(f).toMatch(/\/176\b/);
      await type(r.stdin, "3");
      await waitFor(r.lastFrame, (f) => f.includes("1 checkpoints") && f.includes("(first)"));
      await type(r.stdin, "4");
      f = await waitFor(r.lastFrame, (f) => f.includes("✔ OK"));
      expect(f).toContain("700 entries");
      await type(r.stdin, "5");
      // Lineage through GET /v1/lineage: the selected event's asset and its edge.
      f = await waitFor(r.lastFrame, (f) => f.includes("lineage of dataset:clean/d1 (event 1)"));
      expect(f).toContain("dataset:raw/d1  → dataset.transform by bob (#1)");
    } finally {
      r.unmount();
      await source.close();
    }
  });

  it("logseal tui --json finds the server that holds the store", async () => {
    const r = await logseal(["tui", "--store", s.store, "--json"], {
      env: { LOGSEAL_TOKEN: tokens.auditor as string },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ source: "server", location: server.url, size: 703 });
    expect(r.stderr).toContain("held by 'logseal serve'");
    const bare = await logseal(["tui", "--store", s.store]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("E_USAGE: logseal tui needs a terminal");
  });
});
