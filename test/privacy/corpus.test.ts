/**
 * Masking measured on the generated corpora (test/privacy/corpus.ts):
 * - every planted value of every kind is gone from the masked event's JSON and from its leaf,
 *   and its digits-only form too (for cards, phones, SSNs and IBANs);
 * - every planted value is recorded under its own kind (detection rate per kind);
 * - fewer than 1% of clean events get a false positive (rate per detector);
 * - masked events validate, encode, decode to the same event, and every record points at its
 *   display mask and verifies against the secret returned for it.
 * The rates are printed at the end.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  completeEvent,
  decodeLeaf,
  type EventInput,
  encodeLeaf,
  validateEvent,
} from "../../src/event/index.js";
import {
  DEFAULT_POLICY,
  displayMask,
  KINDS,
  type Kind,
  MASKED_FIELD,
  type MaskRecord,
  maskEvent,
  verifyCommitment,
} from "../../src/privacy/index.js";
import { cleanCorpus, type Planted, piiCorpus } from "./corpus.js";

/** Events per corpus; LOGSEAL_CORPUS_SIZE=20000 for a longer run. */
const COUNT = Number(process.env.LOGSEAL_CORPUS_SIZE ?? 1000);
const AT = 1_795_000_000_000;
const DIGIT_KINDS: ReadonlySet<Kind> = new Set(["card", "phone", "ssn", "iban"]);

const report: string[] = [];
afterAll(() => console.log(report.join("\n")));

/** The value at a path written as memberPath writes it (`details.rows[2]["e-mail"]`). */
function at(event: unknown, path: string): { parent: unknown; key: string | number } {
  const steps: Array<string | number> = [];
  const re =
    /^([A-Za-z_$][A-Za-z0-9_$]*)|\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  re.lastIndex = 0;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (m === null) break;
    if (m[1] !== undefined || m[2] !== undefined) steps.push((m[1] ?? m[2]) as string);
    else if (m[3] !== undefined) steps.push(Number(m[3]));
    else steps.push(JSON.parse(m[4] as string) as string);
  }
  expect(re.lastIndex, path).toBe(path.length);
  let parent: unknown = event;
  for (let i = 0; i < steps.length - 1; i++) {
    parent = (parent as Record<string | number, unknown>)[steps[i] as string | number];
  }
  return { parent, key: steps[steps.length - 1] as string | number };
}

/** Checks the records of a masked event against its secrets. */
function checkRecords(masked: EventInput, secrets: ReturnType<typeof maskEvent>["secrets"]) {
  const records = (masked.details?.[MASKED_FIELD] ?? []) as unknown as MaskRecord[];
  expect(records.length).toBe(secrets.length);
  records.forEach((r, i) => {
    const s = secrets[i];
    expect(s?.commit).toBe(r.commit);
    expect(s?.path).toBe(r.path);
    expect(verifyCommitment(s?.value as string, s?.salt as Uint8Array, r.commit)).toBe(true);
    const { parent, key } = at(masked, r.path);
    const text = r.key === true ? String(key) : (parent as Record<string | number, unknown>)[key];
    expect(typeof text, r.path).toBe("string");
    const bytes = Buffer.from(text as string, "utf8")
      .subarray(r.at[0], r.at[1])
      .toString("utf8");
    expect(bytes, r.path).toBe(displayMask(r.kind, s?.value as string));
  });
}

describe("planted values", () => {
  const corpus = piiCorpus({ count: COUNT, seed: 11 });
  const total = new Map<Kind, number>();
  const asKind = new Map<Kind, number>();
  const places = new Map<string, number>();

  it(`masks every planted value in ${COUNT} events (JSON, leaf, digits-only form)`, () => {
    const leaks: string[] = [];
    for (const { event, planted } of corpus) {
      const input = validateEvent(JSON.parse(JSON.stringify(event)));
      const { event: masked, secrets } = maskEvent(input, DEFAULT_POLICY, {});
      const json = JSON.stringify(masked);
      const leaf = Buffer.from(encodeLeaf(completeEvent(validateEvent(masked), AT))).toString(
        "latin1",
      );
      for (const p of planted) {
        total.set(p.kind, (total.get(p.kind) ?? 0) + 1);
        places.set(p.place, (places.get(p.place) ?? 0) + 1);
        if (leaked(p, json, leaf)) leaks.push(`${p.kind} (${p.place}): ${JSON.stringify(p.value)}`);
        if (secrets.some((s) => s.kind === p.kind && s.value === p.value)) {
          asKind.set(p.kind, (asKind.get(p.kind) ?? 0) + 1);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it("records each planted value under its own kind (≥ 99% per kind)", () => {
    const lines = ["detection on planted values (recorded under its own kind / planted):"];
    for (const kind of KINDS) {
      const n = total.get(kind) ?? 0;
      const k = asKind.get(kind) ?? 0;
      expect(n, kind).toBeGreaterThan(50);
      expect(k / n, kind).toBeGreaterThanOrEqual(0.99);
      lines.push(`  ${kind.padEnd(15)} ${k}/${n} (${((100 * k) / n).toFixed(1)}%)`);
    }
    lines.push(`  placed: ${[...places].map(([p, n]) => `${p} ${n}`).join(", ")}`);
    report.push(lines.join("\n"));
  });

  it("keeps masked events valid, verifiable and unchanged by re-encoding", () => {
    for (const { event } of corpus.slice(0, 400)) {
      const { event: masked, secrets } = maskEvent(validateEvent(event), DEFAULT_POLICY, {});
      expect(validateEvent(masked)).toEqual(masked);
      const complete = completeEvent(masked, AT);
      const decoded = decodeLeaf(encodeLeaf(complete));
      expect(decoded).toEqual(complete);
      checkRecords(decoded, secrets);
    }
  });
});

function leaked(p: Planted, json: string, leaf: string): boolean {
  const forms = [p.value, JSON.stringify(p.value).slice(1, -1)];
  if (DIGIT_KINDS.has(p.kind)) forms.push(p.value.replace(/[^0-9]/g, ""));
  return forms.some((f) => json.includes(f) || leaf.includes(Buffer.from(f).toString("latin1")));
}

describe("clean corpus", () => {
  it(`finds something in fewer than 1% of ${COUNT} clean events`, () => {
    const corpus = cleanCorpus({ count: COUNT, seed: 12 });
    const perKind = new Map<string, number>();
    const examples: string[] = [];
    let events = 0;
    for (const { event } of corpus) {
      const { secrets } = maskEvent(validateEvent(event), DEFAULT_POLICY, {});
      if (secrets.length === 0) continue;
      events++;
      for (const kind of new Set(secrets.map((s) => s.kind))) {
        perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
      }
      for (const s of secrets.slice(0, 1)) examples.push(`${s.kind} ${JSON.stringify(s.value)}`);
    }
    const rate = events / corpus.length;
    report.push(
      `false positives on the clean corpus: ${events}/${corpus.length} events ` +
        `(${(100 * rate).toFixed(2)}%); per detector: ` +
        KINDS.map((k) => `${k} ${(perKind.get(k) ?? 0) / corpus.length}`).join(", ") +
        (examples.length > 0 ? `\n  e.g. ${examples.slice(0, 5).join("; ")}` : ""),
    );
    expect(rate).toBeLessThan(0.01);
  });
});
