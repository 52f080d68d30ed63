/** The server's ingest runs the controls step too: an unknown id is a 400 naming line and field. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, post, startTestServer, type TestServer } from "../server/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe("POST /v1/events with controls", () => {
  it("refuses an unknown id with 400, the line and the field; stores nothing", async () => {
    const before = t.log.size;
    const body = `${JSON.stringify(event(1))}\n${JSON.stringify(event(2, { controls: ["A.8.11", "A.5.38"] }))}\n`;
    const r = await post(t, body);
    expect(r.status).toBe(400);
    const e = (await r.json()) as {
      error: { code: string; line: number; field: string; message: string };
    };
    expect(e.error).toMatchObject({ code: "E_CONTROL_UNKNOWN", line: 2, field: "controls[1]" });
    expect(e.error.message).toBe(
      '"A.5.38" is not an ISO/IEC 27001:2022 Annex A control: the ids are A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14 and A.8.1-A.8.34',
    );
    expect(t.log.size).toBe(before);
    const old = await post(t, event(3, { controls: ["A.12.4.4"] }));
    expect(old.status).toBe(400);
    const o = (await old.json()) as { error: { code: string; field: string; message: string } };
    expect(o.error).toMatchObject({ code: "E_CONTROL_UNKNOWN", field: "controls[0]" });
    expect(o.error.message).toContain("in ISO/IEC 27001:2022 it is A.8.17 (Clock synchronization)");
    expect(t.log.size).toBe(before);
  });
});
