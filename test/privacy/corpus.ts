/**
 * A deterministic corpus of realistic AI-data events for the privacy tests and benchmark.
 *
 * `piiCorpus` plants values of every detector kind at random places of `details`: inside
 * longer strings, as whole values, in arrays, in nested objects and as member names. It
 * returns each event with the list of what was planted, so a test can check that every
 * planted value is gone from the masked event.
 *
 * `cleanCorpus` builds events of the same shape, with the same slots filled by values that are
 * not personal data and look the most like it: UUIDs, SHA-256 and SHA-1 hex, git SHAs, ISO
 * timestamps, epoch milliseconds, version strings, file paths, S3 URIs, dataset and model
 * names, floats, ports, host names, and member names such as `max_tokens` or `tokenizer`.
 *
 * The generators compute check digits (Luhn, IBAN MOD 97-10) themselves, independently of
 * src/privacy, and a seed always gives the same corpus (mulberry32, not Math.random).
 */

import { prng } from "../../src/demo/random.js";
import type { Kind } from "../../src/privacy/index.js";
import { KINDS } from "../../src/privacy/index.js";

export { prng };

/** Where a value was planted. */
export type Place = "text" | "value" | "array" | "nested" | "key";

export interface Planted {
  kind: Kind;
  value: string;
  place: Place;
}

export interface CorpusEvent {
  event: Record<string, unknown>;
  planted: Planted[];
}

export interface CorpusOptions {
  seed?: number;
  count?: number;
}

const DIGITS = "0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = UPPER + LOWER + DIGITS;
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const HEX = "0123456789abcdef";

/** The random helpers, over one PRNG. */
export class Gen {
  readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.rnd() * alphabet.length)];
    return s;
  }
  digits(n: number): string {
    return this.chars(DIGITS, n);
  }

  // -------------------------------------------------------------------------------------------
  // Sensitive values, one generator per kind.

  email(): string {
    const first = this.pick([
      "jane",
      "john",
      "li",
      "maria",
      "ahmed",
      "olga",
      "kenji",
      "zoë",
      "fatima",
      "sam",
      "noor",
    ]);
    const last = this.pick([
      "doe",
      "smith",
      "wang",
      "garcía",
      "khan",
      "ivanova",
      "tanaka",
      "okafor",
      "o-neil",
      "berg",
    ]);
    const local = this.pick([
      `${first}.${last}`,
      `${first[0]}${last}`,
      `${first}_${last}${this.int(1, 99)}`,
      `${first}+${this.pick(["ml", "billing", "test"])}`,
      `${last}.${first}-${this.digits(3)}`,
    ]);
    const domain = this.pick([
      "example.com",
      "acme.io",
      "mail.example.co.uk",
      "gmail.com",
      "uni-heidelberg.de",
      "corp.acme.ai",
      "outlook.fr",
      "bücher.example",
      "example.org",
      "startup.dev",
      "bank.example.net",
    ]);
    return `${local}@${domain}`;
  }

  phone(): string {
    const nxx = () => `${this.int(2, 9)}${this.digits(2)}`;
    switch (this.int(0, 11)) {
      case 0:
        return `+44 7700 ${this.digits(6)}`;
      case 1:
        return `+447${this.digits(9)}`;
      case 2:
        return `+1 (${nxx()}) ${nxx()}-${this.digits(4)}`;
      case 3:
        return `+1-${nxx()}-${nxx()}-${this.digits(4)}`;
      case 4:
        return `+49 30 ${this.digits(8)}`;
      case 5:
        return `+33 ${this.int(1, 9)} ${this.digits(2)} ${this.digits(2)} ${this.digits(2)} ${this.digits(2)}`;
      case 6:
        return `+91 ${this.int(6, 9)}${this.digits(4)} ${this.digits(5)}`;
      case 7:
        return `(${nxx()}) ${nxx()}-${this.digits(4)}`;
      case 8:
        return `${nxx()}-${nxx()}-${this.digits(4)}`;
      case 9:
        return `${nxx()}.${nxx()}.${this.digits(4)}`;
      case 10:
        return `020 ${this.int(3, 8)}${this.digits(3)} ${this.digits(4)}`;
      default:
        return `0${this.int(6, 7)} ${this.digits(2)} ${this.digits(2)} ${this.digits(2)} ${this.digits(2)}`;
    }
  }

  card(): string {
    const [prefix, len] = this.pick<[string, number]>([
      ["4", 16],
      ["4", 13],
      ["51", 16],
      ["55", 16],
      ["2221", 16],
      ["2720", 16],
      ["34", 15],
      ["37", 15],
      ["6011", 16],
      ["65", 16],
      ["36", 14],
      ["3530", 16],
      ["62", 16],
      ["4", 19],
    ]);
    let body = prefix + this.digits(len - prefix.length - 1);
    body += luhnDigit(body);
    switch (this.int(0, 2)) {
      case 0:
        return body;
      case 1:
        return len === 15
          ? `${body.slice(0, 4)} ${body.slice(4, 10)} ${body.slice(10)}`
          : (body.match(/.{1,4}/g) as string[]).join(" ");
      default:
        return (body.match(/.{1,4}/g) as string[]).join("-");
    }
  }

  iban(): string {
    const [cc, len] = this.pick<[string, number]>([
      ["GB", 22],
      ["DE", 22],
      ["FR", 27],
      ["NL", 18],
      ["ES", 24],
      ["IT", 27],
      ["BE", 16],
      ["CH", 21],
      ["PL", 28],
      ["NO", 15],
    ]);
    const bban =
      cc === "GB" || cc === "NL"
        ? this.chars(UPPER, 4) + this.digits(len - 8)
        : this.digits(len - 4);
    const iban = cc + ibanCheck(cc, bban) + bban;
    return this.chance(0.5) ? iban : (iban.match(/.{1,4}/g) as string[]).join(" ");
  }

  ipv4(): string {
    const a = this.pick([10, 172, 192, 8, 34, 52, 81, 100, 185, 203]);
    const ip = `${a}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
    return this.chance(0.1) ? `${ip}/${this.int(8, 32)}` : ip;
  }

  ipv6(): string {
    const g = () => this.int(0, 0xffff).toString(16);
    switch (this.int(0, 3)) {
      case 0:
        return Array.from({ length: 8 }, g).join(":");
      case 1:
        return `2001:db8:${g()}:${g()}::${g()}`;
      case 2:
        return `fe80::${g()}:${g()}:${g()}:${g()}`;
      default:
        return `::ffff:${this.int(1, 223)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
    }
  }

  ssn(): string {
    let area = this.int(1, 899);
    if (area === 666) area = 667;
    const a = String(area).padStart(3, "0");
    const g = String(this.int(1, 99)).padStart(2, "0");
    const s = String(this.int(1, 9999)).padStart(4, "0");
    return this.chance(0.7) ? `${a}-${g}-${s}` : `${a} ${g} ${s}`;
  }

  awsAccessKey(): string {
    return this.pick(["AKIA", "ASIA"]) + this.chars(UPPER + DIGITS, 16);
  }
  awsSecretKey(): string {
    return this.chars(B64, 40);
  }
  githubToken(): string {
    if (this.chance(0.2)) return `github_pat_${this.chars(ALNUM, 22)}_${this.chars(ALNUM, 59)}`;
    return `${this.pick(["ghp", "gho", "ghu", "ghs", "ghr"])}_${this.chars(ALNUM, 36)}`;
  }
  slackToken(): string {
    if (this.chance(0.2)) {
      return `https://hooks.slack.com/services/T${this.chars(UPPER + DIGITS, 8)}/B${this.chars(UPPER + DIGITS, 10)}/${this.chars(ALNUM, 24)}`;
    }
    return `${this.pick(["xoxb", "xoxp"])}-${this.digits(12)}-${this.digits(13)}-${this.chars(ALNUM, 24)}`;
  }
  stripeKey(): string {
    return `${this.pick(["sk_live_", "sk_test_", "rk_live_"])}${this.chars(ALNUM, this.pick([24, 32, 99]))}`;
  }
  googleApiKey(): string {
    return `AIza${this.chars(`${ALNUM}-_`, 35)}`;
  }
  jwt(): string {
    const header = { alg: this.pick(["HS256", "RS256", "ES256"]), typ: "JWT" };
    const payload = {
      sub: this.pick(["user-", "svc-", ""]) + this.digits(6),
      iat: 1_790_000_000 + this.int(0, 9_999_999),
      scope: this.pick(["read", "read write", "admin"]),
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${b64(header)}.${b64(payload)}.${this.chars(B64URL, this.pick([43, 86]))}`;
  }
  privateKey(): string {
    const label = this.pick([
      "RSA PRIVATE KEY",
      "PRIVATE KEY",
      "EC PRIVATE KEY",
      "OPENSSH PRIVATE KEY",
    ]);
    const lines = Array.from({ length: this.int(3, 8) }, () => this.chars(B64, 64));
    return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----`;
  }
  secret(): string {
    return this.pick([
      () => this.chars(ALNUM, this.int(16, 40)),
      () =>
        `${this.chars(ALNUM, 8)}${this.pick(["!", "#", "$", "%", "&", "*"])}${this.chars(ALNUM, 6)}`,
      () => this.chars(HEX, 32),
      () => this.chars(B64, 24),
    ])();
  }

  /** A value of `kind`. */
  sensitive(kind: Kind): string {
    switch (kind) {
      case "email":
        return this.email();
      case "phone":
        return this.phone();
      case "card":
        return this.card();
      case "iban":
        return this.iban();
      case "ipv4":
        return this.ipv4();
      case "ipv6":
        return this.ipv6();
      case "ssn":
        return this.ssn();
      case "aws-access-key":
        return this.awsAccessKey();
      case "aws-secret-key":
        return this.awsSecretKey();
      case "github-token":
        return this.githubToken();
      case "slack-token":
        return this.slackToken();
      case "stripe-key":
        return this.stripeKey();
      case "google-api-key":
        return this.googleApiKey();
      case "jwt":
        return this.jwt();
      case "private-key":
        return this.privateKey();
      default:
        return this.secret();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Clean values: not personal data, and as close to it as real AI-data events get.

  uuid(): string {
    const h = this.chars(HEX, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${this.pick(["8", "9", "a", "b"])}${h.slice(17, 20)}-${h.slice(20)}`;
  }
  isoTime(): string {
    return new Date(Date.UTC(2026, 0, 1) + this.int(0, 365 * 86_400_000)).toISOString();
  }
  epochMs(): number {
    return 1_767_225_600_000 + this.int(0, 31_536_000_000);
  }
  version(): string {
    return this.pick([
      () => `${this.int(0, 4)}.${this.int(0, 30)}.${this.int(0, 99)}`,
      () => `v${this.int(0, 4)}.${this.int(0, 30)}.${this.int(0, 9)}-rc.${this.int(1, 5)}`,
      () =>
        `${this.int(1, 3)}.${this.int(0, 12)}.${this.int(0, 9)}+cu${this.pick(["118", "121", "124"])}`,
      () => `${this.int(2019, 2026)}.${this.int(1, 12)}.${this.int(1, 28)}`,
    ])();
  }
  modelName(): string {
    return this.pick([
      "llama-3-8b",
      "llama-3.1-70b-instruct",
      "mistral-7b-v0.3",
      "gpt2-xl",
      "bert-base-uncased",
      "qwen2.5-14b",
      "phi-3-mini-4k",
      "t5-v1_1-xxl",
      "whisper-large-v3",
    ]);
  }
  dataset(): string {
    const d = this.isoTime().slice(0, 10);
    return this.pick([
      `dataset:raw/support-tickets/${d}`,
      `dataset:clean/clickstream/${d}`,
      `dataset:features/intent-v${this.int(1, 9)}/${d}`,
      `hf://datasets/acme/reviews-${this.int(2019, 2026)}`,
    ]);
  }
  hostname(): string {
    return this.pick([
      `gpu-node-${this.int(1, 64)}.cluster.local`,
      `trainer-${this.chars(HEX, 9)}-${this.chars(LOWER + DIGITS, 5)}`,
      `ip-10-${this.int(0, 255)}-${this.int(0, 255)}-${this.int(1, 254)}.ec2.internal`,
      `registry.acme.internal`,
      `db-${this.int(1, 9)}.prod.acme.io`,
    ]);
  }
  path(): string {
    return this.pick([
      () => `/data/shards/part-${String(this.int(0, 99_999)).padStart(5, "0")}.parquet`,
      () =>
        `s3://acme-ml/${this.pick(["raw", "clean", "ckpt"])}/${this.isoTime().slice(0, 10)}/${this.uuid()}.jsonl.gz`,
      () =>
        `/mnt/ckpt/${this.modelName()}/step-${this.int(100, 90_000)}/model-00001-of-0000${this.int(2, 8)}.safetensors`,
      () => `gs://acme-eval/${this.modelName()}/results-${this.epochMs()}.json`,
      () => `./configs/train_${this.int(1, 99)}.yaml`,
    ])();
  }
  clean(): string | number {
    return this.pick<() => string | number>([
      () => this.uuid(),
      () => this.chars(HEX, 64),
      () => this.chars(HEX, 40),
      () => this.chars(HEX, 7),
      () => this.isoTime(),
      () => this.epochMs(),
      () => String(this.epochMs()),
      () => this.version(),
      () => this.modelName(),
      () => this.dataset(),
      () => this.hostname(),
      () => `${this.hostname()}:${this.int(1024, 65_535)}`,
      () => this.path(),
      () => Math.round(this.rnd() * 1e6) / 1e6,
      () => String(this.rnd()),
      () => this.int(1, 65_535),
      () => `${this.int(1, 999)}.${this.int(0, 9)}GB`,
      () =>
        `${this.int(0, 23)}:${String(this.int(0, 59)).padStart(2, "0")}:${String(this.int(0, 59)).padStart(2, "0")}`,
      () => `DSR-${this.int(2019, 2026)}-${String(this.int(1, 9999)).padStart(4, "0")}`,
      () => `job_${this.digits(9)}`,
      () => `ghcr.io/acme/trainer:${this.version()}@sha256:${this.chars(HEX, 64)}`,
      () =>
        `lr=${this.pick(["3e-4", "1e-5", "0.0003"])} batch=${this.pick([32, 256, 1024])} epochs=${this.int(1, 20)}`,
      () => `subject:${this.chars(HEX, 16)}`,
      () => `run-${this.isoTime().slice(0, 10)}-${this.int(0, 9)}`,
      () => this.lookalike(),
      () => this.lookalike(),
    ])();
  }
  /** Values that share a shape with personal data or secrets and are neither. */
  lookalike(): string | number {
    return this.pick<() => string | number>([
      () => this.digits(this.int(6, 12)),
      () => Number(this.digits(this.int(6, 12))),
      () => `1${this.digits(15)}`,
      () => `${this.int(1, 20)}.${this.int(0, 30)}.${this.int(256, 40_000)}.${this.int(0, 99_999)}`,
      () => `${this.int(1, 12)}/${this.int(1, 28)}/${this.int(2019, 2026)}`,
      () =>
        `${this.int(2019, 2026)}.${String(this.int(1, 12)).padStart(2, "0")}.${String(this.int(1, 28)).padStart(2, "0")}`,
      () =>
        `${this.isoTime().slice(0, 16).replace("T", " ")} UTC${this.pick(["+05:30", "-08:00", "+01:00"])}`,
      () =>
        `${this.int(1, 999)} ${String(this.int(0, 999)).padStart(3, "0")} ${String(this.int(0, 999)).padStart(3, "0")} rows`,
      () => `${(this.rnd() * 1e12).toExponential(3)}`,
      () => `+${(this.rnd() * 10).toFixed(2)}%`,
      () =>
        `${this.int(0, 23)}:${String(this.int(0, 59)).padStart(2, "0")}:${String(this.int(0, 59)).padStart(2, "0")}.${this.digits(3)}`,
      () => Array.from({ length: 6 }, () => this.chars(HEX, 2)).join(":"),
      () => this.pick(["16:9", "4:3", "std::vector<float>", "torch::Tensor", "a::b::c"]),
      () => `${this.modelName()}@${this.version()}`,
      () => `acme/trainer@sha256:${this.chars(HEX, 64)}`,
      () => `team@${this.pick(["ml", "data", "infra"])}`,
      () => Buffer.from(this.chars(ALNUM, this.int(24, 60))).toString("base64"),
      () =>
        `${this.int(100, 999)}-${this.int(10, 99)}-${this.int(1000, 9999)}-${this.chars(UPPER, 2)}`,
      () => `JIRA-${this.int(100, 9999)}`,
      () => `0x${this.chars(HEX, 40)}`,
      () => `tokenizer_config=${this.path()} password_policy=min-12 secret_name=prod-db`,
    ])();
  }
  cleanText(): string {
    return this.pick<() => string>([
      () => `wrote ${this.int(100, 900_000)} rows to ${this.path()} in ${this.int(1, 999)}s`,
      () => `checkpoint ${this.uuid()} saved at ${this.isoTime()} (${this.version()})`,
      () => `loaded ${this.modelName()} from ${this.path()} on ${this.hostname()}`,
      () =>
        `max_tokens=${this.pick([512, 4096, 8192])} tokenizer=sentencepiece temperature=0.${this.int(0, 9)}`,
      () => `commit ${this.chars(HEX, 40)} tagged ${this.version()}`,
      () => `listening on ${this.hostname()}:${this.int(1024, 65_535)} since ${this.isoTime()}`,
      () =>
        `eval accuracy ${this.rnd().toFixed(4)} loss ${this.rnd().toFixed(6)} at step ${this.int(1, 99_999)}`,
      () => `sha256=${this.chars(HEX, 64)} size=${this.int(1, 999_999_999)}`,
      () => `token_count=${this.int(1_000, 9_999_999)} secret_ref=vault:kv/ml/${this.modelName()}`,
      () => `auth_method=oidc api_version=2024-06-01 retries=${this.int(0, 5)}`,
      () =>
        `between ${this.isoTime().slice(0, 10)} and ${this.isoTime().slice(0, 10)}, ${this.int(2, 99)} shards`,
      () => `epoch ${this.epochMs()} duration ${this.int(1, 999)}ms`,
      () => `${this.lookalike()} then ${this.lookalike()} (${this.lookalike()})`,
    ])();
  }
}

/** The Luhn check digit for `body` (the card number without its last digit). */
function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** IBAN check digits: 98 − (BBAN ‖ country ‖ "00", letters as 10..35) mod 97. */
function ibanCheck(cc: string, bban: string): string {
  const numeric = [...`${bban}${cc}00`]
    .map((c) => (c >= "A" && c <= "Z" ? String(c.charCodeAt(0) - 55) : c))
    .join("");
  return String(98n - (BigInt(numeric) % 97n)).padStart(2, "0");
}

/** Member names under which a value of each kind is stored whole. */
function keyFor(g: Gen, kind: Kind): string {
  switch (kind) {
    case "email":
      return g.pick(["customer_email", "contact", "reporter", "annotator"]);
    case "phone":
      return g.pick(["customer_phone", "callback", "mobile"]);
    case "card":
      return g.pick(["card_number", "pan", "payment"]);
    case "iban":
      return g.pick(["iban", "payout_account", "bank"]);
    case "ipv4":
    case "ipv6":
      return g.pick(["client_ip", "remote_addr", "source"]);
    case "ssn":
      return g.pick(["ssn", "tax_id", "national_id"]);
    case "aws-secret-key":
      return g.pick(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secretAccessKey"]);
    case "secret":
      return g.pick(["password", "db_password", "api_key", "clientSecret", "auth_token", "apiKey"]);
    default:
      return g.pick(["credential", "value", "leaked", "config_value", "header"]);
  }
}

/** Text around a value of `kind` planted inside a longer string. */
function textAround(g: Gen, kind: Kind, v: string): string {
  if (kind === "aws-secret-key") {
    return g.pick([
      `export AWS_SECRET_ACCESS_KEY=${v}`,
      `aws_secret_access_key = ${v}`,
      `{"SecretAccessKey": "${v}"}`,
    ]);
  }
  if (kind === "secret") {
    return g.pick([
      `connecting with password=${v} to ${g.hostname()}`,
      `config: api_key: "${v}" retries=3`,
      `{"client_secret": "${v}", "scope": "read"}`,
      `DB_PASSWORD='${v}' ./run.sh`,
      `curl -H "Authorization: Bearer ${v}" https://${g.hostname()}/v1`,
    ]);
  }
  const noise = g.cleanText();
  return g.pick([
    `${noise}; contact ${v} for access`,
    `reported by ${v}.`,
    `${v} ${noise}`,
    `value=${v}, ${noise}`,
    `"${v}"`,
    `(${v})`,
    `[${noise}] ${v}`,
    `<${v}>`,
    `${noise}\n${v}\n`,
  ]);
}

const ACTIONS = [
  ["svc-ingest", "dataset.ingest"],
  ["svc-pii-scanner", "pii.scan"],
  ["annotator-7", "annotation.submit"],
  ["svc-support-bot", "ticket.ingest"],
  ["bob", "run.start"],
  ["svc-eval", "model.eval"],
  ["erin", "dataset.read"],
  ["svc-gateway", "access.denied"],
] as const;

/** The clean part of an event: the same for both corpora. */
function baseEvent(g: Gen, i: number): Record<string, unknown> {
  const [actor, action] = g.pick(ACTIONS);
  const details: Record<string, unknown> = {
    request_id: g.uuid(),
    sha256: g.chars(HEX, 64),
    started: g.isoTime(),
    ts_ms: g.epochMs(),
    version: g.version(),
    model: g.modelName(),
    input: g.path(),
    host: `${g.hostname()}:${g.int(1024, 65_535)}`,
    rows: g.int(0, 5_000_000),
    loss: Math.round(g.rnd() * 1e6) / 1e6,
    max_tokens: g.pick([512, 4096, 8192]),
    token_count: g.int(1_000, 9_999_999),
    auth_method: g.pick(["oidc", "mtls", "api-key"]),
    api_version: g.pick(["2024-06-01", "v1beta", "2023-12-01-preview"]),
    tokenizer: g.pick(["sentencepiece", "tiktoken/cl100k_base", "bpe-32k"]),
    message: g.cleanText(),
    tags: [g.clean(), g.clean()],
    config: {
      lr: g.pick([0.0003, 1e-5]),
      seed: g.int(1, 99_999),
      commit: g.chars(HEX, 40),
      output: g.path(),
    },
  };
  return {
    id: `corpus-${String(i).padStart(6, "0")}`,
    ts: 1_790_000_000_000 + i * 60_000,
    actor: { id: actor, kind: actor.startsWith("svc-") ? "service" : "user" },
    action,
    outcome: action === "access.denied" ? "denied" : "success",
    asset: g.dataset().replace(/^hf:\/\/datasets\//, "dataset:hf/"),
    controls: ["A.8.11"],
    details,
  };
}

/** Puts `v` (a sensitive or a clean value of `kind`) at `place` in `details`. */
function place(
  g: Gen,
  details: Record<string, unknown>,
  place: Place,
  kind: Kind,
  v: string | number,
  slot: number,
): void {
  const s = String(v);
  switch (place) {
    case "text":
      details[`note_${slot}`] =
        typeof v === "string" ? textAround(g, kind, s) : `${g.cleanText()} ${s}`;
      return;
    case "value":
      details[`${keyFor(g, kind)}_${slot}`] = v;
      return;
    case "array":
      // A secret without a recognisable shape needs a name that says so, even in an array.
      details[`${CONTEXTUAL.has(kind) ? keyFor(g, kind) : "items"}_${slot}`] = [
        g.clean(),
        v,
        g.clean(),
      ];
      return;
    case "nested": {
      let o: Record<string, unknown> = {};
      details[`customer_${slot}`] = o;
      for (let d = g.int(1, 4); d > 0; d--) {
        const inner: Record<string, unknown> = { id: g.uuid() };
        o[g.pick(["profile", "meta", "contact", "history"])] = inner;
        o = inner;
      }
      o[keyFor(g, kind)] = v;
      return;
    }
    default:
      details[`per_value_${slot}`] = { [s]: g.int(1, 99), total: g.int(100, 999) };
  }
}

/** Kinds recognised by their context (a keyword), not by their shape. */
const CONTEXTUAL: ReadonlySet<Kind> = new Set(["secret", "aws-secret-key"]);
const PERSONAL: readonly Kind[] = ["email", "phone", "card", "iban", "ipv4", "ipv6", "ssn"];
const KEYABLE: ReadonlySet<Kind> = new Set([
  "email",
  "phone",
  "card",
  "iban",
  "ipv4",
  "ipv6",
  "ssn",
]);

function placeFor(g: Gen, kind: Kind): Place {
  const places: Place[] = ["text", "value", "array", "nested"];
  if (KEYABLE.has(kind)) places.push("key");
  return g.pick(places);
}

/**
 * Events with planted sensitive values: event `i` plants a value of kind `KINDS[i % 16]` and,
 * with probability 1/2 each, up to three more of random kinds.
 */
export function piiCorpus(options: CorpusOptions = {}): CorpusEvent[] {
  const g = new Gen(options.seed ?? 1);
  const out: CorpusEvent[] = [];
  for (let i = 0; i < (options.count ?? 1000); i++) {
    const event = baseEvent(g, i);
    const details = event.details as Record<string, unknown>;
    const planted: Planted[] = [];
    const kinds: Kind[] = [KINDS[i % KINDS.length] as Kind];
    for (let k = 0; k < 3; k++) if (g.chance(0.5)) kinds.push(g.pick(KINDS));
    kinds.forEach((kind, slot) => {
      const value = g.sensitive(kind);
      const where = placeFor(g, kind);
      place(g, details, where, kind, value, slot);
      planted.push({ kind, value, place: where });
    });
    out.push({ event, planted });
  }
  return out;
}

/** Events of the same shape as `piiCorpus`'s, with every slot filled by a clean value. */
export function cleanCorpus(options: CorpusOptions = {}): CorpusEvent[] {
  const g = new Gen(options.seed ?? 2);
  const out: CorpusEvent[] = [];
  for (let i = 0; i < (options.count ?? 1000); i++) {
    const event = baseEvent(g, i);
    const details = event.details as Record<string, unknown>;
    const slots = 1 + [0, 1, 2].filter(() => g.chance(0.5)).length;
    for (let slot = 0; slot < slots; slot++) {
      const kind = g.pick(KINDS);
      const where = placeFor(g, kind);
      const v = where === "text" ? g.cleanText() : g.clean();
      // Member names of personal-data kinds: a clean value under `password` would be a secret.
      place(g, details, where, g.pick(PERSONAL), v, slot);
    }
    out.push({ event, planted: [] });
  }
  return out;
}
