/**
 * A realistic, deterministic AI-data scenario for the demo, the tests and the benchmarks:
 * raw datasets are ingested, scanned and masked for personal data, features are built,
 * training runs read them and produce models, models are evaluated, registered and exported,
 * analysts read data, an intruder is denied, and a data subject's erasure request is handled.
 *
 * The same seed always gives the same events (a small PRNG, not Math.random).
 */

import { prng } from "./random.js";

export interface ScenarioOptions {
  /** PRNG seed (default 42). */
  seed?: number;
  /** Number of days of activity (default 14). */
  days?: number;
  /** Producer time of the first event, ms since the epoch (default 2026-11-02T08:00:00Z). */
  start?: number;
}

/** One day of events, appended together and followed by a checkpoint in the demo. */
export interface ScenarioDay {
  day: number;
  events: Record<string, unknown>[];
}

const SOURCES = ["support-tickets", "clickstream", "product-reviews", "call-transcripts"] as const;
const ANALYSTS = ["erin", "frank", "grace"] as const;

/** Generates the scenario, one entry per day. */
export function demoScenario(options: ScenarioOptions = {}): ScenarioDay[] {
  const rnd = prng(options.seed ?? 42);
  const days = options.days ?? 14;
  const start = options.start ?? Date.UTC(2026, 10, 2, 8, 0, 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");

  const out: ScenarioDay[] = [];
  let seq = 0;
  let modelVersion = 0;
  const models: string[] = [];
  for (let day = 0; day < days; day++) {
    const events: Record<string, unknown>[] = [];
    let t = start + day * 86_400_000;
    const date = new Date(t).toISOString().slice(0, 10);
    const ev = (e: Record<string, unknown>) => {
      t += int(20_000, 900_000);
      events.push({ v: 1, id: `demo-${String(++seq).padStart(5, "0")}`, ts: t, ...e });
    };

    // Nightly ingest of each raw source, scanned and masked before anyone trains on it.
    const clean: string[] = [];
    for (const src of SOURCES) {
      const raw = `dataset:raw/${src}/${date}`;
      const masked = `dataset:clean/${src}/${date}`;
      const rows = int(20_000, 400_000);
      ev({
        actor: { id: "svc-ingest", kind: "service" },
        action: "dataset.ingest",
        outcome: "success",
        asset: raw,
        inputs: [`source:s3/acme-landing/${src}/${date}`],
        outputs: [raw],
        controls: ["A.5.9", "A.8.15"],
        details: { rows, bytes: rows * int(300, 2_000), sha256: hex(64), format: "parquet" },
      });
      const found = int(0, Math.floor(rows / 50));
      ev({
        actor: { id: "svc-pii-scanner", kind: "service" },
        action: "pii.scan",
        outcome: "success",
        asset: raw,
        inputs: [raw],
        controls: ["A.5.34", "A.8.11"],
        details: { detectors: ["email", "phone", "iban", "ipv4"], findings: found },
      });
      ev({
        actor: { id: "svc-pii-scanner", kind: "service" },
        action: "pii.mask",
        outcome: "success",
        asset: masked,
        inputs: [raw],
        outputs: [masked],
        controls: ["A.8.11"],
        details: {
          masked: found,
          fields: ["customer_email", "customer_phone"],
          method: "hmac-sha256",
        },
      });
      clean.push(masked);
    }

    // Feature building and training.
    const features = `dataset:features/support-intent/${date}`;
    ev({
      actor: { id: "alice", role: "data-engineer", kind: "user" },
      action: "dataset.transform",
      outcome: "success",
      asset: features,
      inputs: clean.slice(0, 3),
      outputs: [features],
      controls: ["A.8.32"],
      details: { job: "job:feature-build", commit: hex(12) },
    });
    const runs = int(1, 3);
    for (let r = 0; r < runs; r++) {
      const run = `run:train-${date}-${r}`;
      ev({
        actor: { id: "bob", role: "ml-engineer", kind: "user" },
        action: "run.start",
        outcome: "success",
        asset: run,
        inputs: [features, ...(models.length > 0 ? [models.at(-1) as string] : [])],
        details: { gpus: pick([1, 2, 4, 8]), framework: "pytorch-2.6", seed: int(1, 99_999) },
      });
      const failed = rnd() < 0.15;
      if (failed) {
        ev({
          actor: { id: "svc-trainer", kind: "service" },
          action: "run.fail",
          outcome: "failure",
          asset: run,
          details: { error: "CUDA out of memory", epoch: int(1, 9) },
        });
        continue;
      }
      const model = `model:support-intent@${++modelVersion}.0.0`;
      ev({
        actor: { id: "svc-trainer", kind: "service" },
        action: "run.complete",
        outcome: "success",
        asset: run,
        inputs: [features],
        outputs: [model],
        details: {
          epochs: int(3, 12),
          loss: Math.round(rnd() * 1000) / 10_000,
          accuracy: 0.8 + Math.round(rnd() * 1500) / 10_000,
        },
      });
      ev({
        actor: { id: "svc-model-registry", kind: "service" },
        action: "model.register",
        outcome: "success",
        asset: model,
        inputs: [run],
        controls: ["A.5.9", "A.8.32"],
        details: { sha256: hex(64), sizeBytes: int(50, 900) * 1_048_576 },
      });
      models.push(model);
    }

    // Analysts read the clean data; occasionally someone tries the raw data.
    for (let i = int(3, 8); i > 0; i--) {
      ev({
        actor: { id: pick(ANALYSTS), role: "analyst", kind: "user" },
        action: "dataset.read",
        outcome: "success",
        asset: pick(clean),
        controls: ["A.8.3"],
        details: {
          rows: int(100, 50_000),
          purpose: pick(["dashboard", "error-analysis", "labeling-qa"]),
        },
      });
    }
    if (rnd() < 0.6) {
      ev({
        actor: { id: "mallory", role: "contractor", kind: "user" },
        action: "access.denied",
        outcome: "denied",
        asset: `dataset:raw/${pick(SOURCES)}/${date}`,
        controls: ["A.8.3", "A.5.15"],
        details: {
          reason: "role contractor may not read raw datasets",
          ip: `203.0.113.${int(1, 254)}`,
        },
      });
    }

    // Release the newest model every few days.
    if (day % 4 === 3 && models.length > 0) {
      ev({
        actor: { id: "bob", role: "ml-engineer", kind: "user" },
        action: "model.export",
        outcome: "success",
        asset: models.at(-1),
        inputs: [models.at(-1)],
        outputs: [`artifact:registry.acme.internal/support-intent/${models.length}`],
        controls: ["A.8.12"],
        details: { format: "onnx", approvedBy: "carol", dlpScan: "clean" },
      });
    }

    // A data subject's erasure request, handled by the privacy officer.
    if (day === days - 2) {
      ev({
        actor: { id: "carol", role: "privacy-officer", kind: "user" },
        action: "data.erase",
        outcome: "success",
        asset: `dataset:raw/support-tickets/${new Date(start).toISOString().slice(0, 10)}`,
        controls: ["A.8.10", "A.5.34"],
        details: {
          request: "DSR-2026-0117",
          subject: `subject:${hex(16)}`,
          method: "crypto-shred",
          rowsAffected: int(1, 40),
        },
      });
    }
    out.push({ day, events });
  }
  return out;
}
