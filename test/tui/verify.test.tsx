/**
 * The Verify screen on a store whose entry bundle was changed behind the log's back: the
 * failure is listed, Enter opens the changed event, and a run can be cancelled with x.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalSource } from "../../tui/data/local.js";
import { VerifyModel } from "../../tui/screens/verify.js";
import { KEY, keysOf, makeStore, renderApp, type, waitFor } from "./helpers.js";

let s: Awaited<ReturnType<typeof makeStore>>;
beforeAll(async () => {
  s = await makeStore(2000, { index: false });
  // Change one byte inside entry 3's leaf (after the 2-byte length prefixes of entries 0..3).
  const bytes = new Uint8Array((await s.log.store.readBundle(0)) as Uint8Array);
  let at = 0;
  for (let i = 0; i < 3; i++) at += 2 + (((bytes[at] as number) << 8) | (bytes[at + 1] as number));
  const len = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const pos = at + 2 + len - 1;
  bytes[pos] = (bytes[pos] as number) ^ 0x01;
  await s.log.store.write([{ key: `b/${"0".repeat(16)}`, value: bytes }]);
});
afterAll(async () => {
  await s.cleanup();
});

describe("verify screen", () => {
  it("lists the failure as found and opens the changed event", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const r = renderApp(source, s.log, { rows: 24, columns: 120 });
    try {
      await waitFor(r.lastFrame, (f) => f.includes("[FOLLOW]"));
      await type(r.stdin, "4");
      const f = await waitFor(r.lastFrame, (f) => f.includes("✖ FAILED"));
      expect(f).toMatch(/failures: [1-9]/);
      expect(f).toMatch(/^> ?✖ tile/m);
      await type(r.stdin, KEY.enter);
      await waitFor(r.lastFrame, (f) => f.includes("logseal ❭ event 3"));
    } finally {
      r.unmount();
    }
  });

  it("x cancels a run: the verifier stops at its next check and the state says cancelled", async () => {
    const source = new LocalSource(s.log, { owned: false });
    const model = new VerifyModel();
    const states: string[] = [];
    model.subscribe(() => states.push(model.state));
    model.start(source, keysOf(s.log));
    model.cancel();
    await waitFor(
      () => model.state,
      (st) => st !== "running",
    );
    expect(model.state).toBe("cancelled");
    expect(model.report).toBeUndefined();
    expect(states[0]).toBe("running");
  });
});
