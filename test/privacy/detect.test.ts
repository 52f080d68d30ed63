/**
 * The detectors, one family at a time: what each finds, what it must not find (timestamps,
 * version strings, ids, hashes), and the validation rules (Luhn, MOD 97-10, SSA rules, octets).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectCards, isCardNumber, luhn } from "../../src/privacy/card.js";
import { entropy } from "../../src/privacy/chars.js";
import { detectEmails, validDomain } from "../../src/privacy/email.js";
import type { Finding } from "../../src/privacy/finding.js";
import { detectGenericSecrets, secretName, words } from "../../src/privacy/generic.js";
import { detectIbans, isIban } from "../../src/privacy/iban.js";
import { detect, KINDS, type Kind } from "../../src/privacy/index.js";
import { detectIpv4, detectIpv6, ipv6Groups, isIpv4, isIpv6 } from "../../src/privacy/ip.js";
import { detectPhones, isPhone } from "../../src/privacy/phone.js";
import { detectSsns, isSsn } from "../../src/privacy/ssn.js";
import {
  detectAwsSecrets,
  detectPrivateKeys,
  detectTokens,
  isJwt,
} from "../../src/privacy/tokens.js";

/** The findings of `text` as "kind:value" strings. */
const found = (text: string, key?: string): string[] =>
  detect(text, key === undefined ? {} : { key }).map((f) => `${f.kind}:${f.value}`);

/** Expects exactly one finding, of `kind`, with value `value`, when `value` sits in `around`. */
function finds(kind: Kind, value: string, around = (v: string) => `see ${v} here`, key?: string) {
  const text = around(value);
  expect(found(text, key), text).toEqual([`${kind}:${value}`]);
  const f = detect(text, key === undefined ? {} : { key })[0];
  expect(text.slice(f?.start, f?.end)).toBe(value);
}

const none = (text: string, key?: string) => expect(found(text, key), text).toEqual([]);

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiaWF0IjoxNTE2MjM5MDIyfQ." +
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

describe("e-mail", () => {
  it("finds addresses in text, with tags, subdomains and hyphens", () => {
    for (const v of [
      "jane.doe@example.com",
      "j+ml@acme.io",
      "o-neil_42@mail.example.co.uk",
      "x@uni-heidelberg.de",
      "A.B@EXAMPLE.ORG",
    ]) {
      finds("email", v);
      finds("email", v, (x) => `<${x}>`);
      finds("email", v, (x) => `mailto:${x}.`);
    }
  });
  it("finds internationalised addresses (RFC 6531 local parts, IDN domains and TLDs)", () => {
    for (const v of [
      "zoë@exämple.de",
      "josé.garcía@correo.es",
      "用户@例子.广告",
      "почта@пример.рф",
      "δοκιμή@παράδειγμα.δοκιμή",
      "müller@bücher.example",
    ]) {
      finds("email", v);
      finds("email", v, (x) => `<${x}>`);
      finds("email", v, (x) => `Kontakt: ${x}.`);
    }
  });
  it("rejects internationalised look-alikes: no dot, a digit TLD, emoji", () => {
    none("zoë@exämple");
    none("ключ@2024.١٢");
    none("key@host.de٣");
    none("😀@example.com");
  });
  it("rejects versions, scp remotes, docker digests, file names and bad domains", () => {
    none("model:support-intent@1.0.0");
    none("git@github.com:acme/repo.git");
    none("ghcr.io/acme/trainer@sha256:abcdef0123");
    none("s3://bucket/key@2024.parquet");
    none("weights@step.ckpt");
    none("user@localhost");
    none("a@-bad.com b@bad-.com c@.com d@com");
    none("a..b@example.com");
  });
  it("validates domains", () => {
    expect(validDomain("example.com")).toBe(true);
    expect(validDomain("xn--bcher-kva.example")).toBe(true);
    expect(validDomain("a.b.c.de")).toBe(true);
    expect(validDomain("example.c0m")).toBe(false);
    expect(validDomain("exämple.de")).toBe(true);
    expect(validDomain("пример.рф")).toBe(true);
    expect(validDomain("example.ä")).toBe(false);
    expect(validDomain(`${"a".repeat(64)}.com`)).toBe(false);
  });
});

describe("phone", () => {
  it("finds E.164 and national formats", () => {
    for (const v of [
      "+447700900789",
      "+44 7700 900789",
      "+44 (0)20 7946 0958",
      "+1 (415) 555-2671",
      "+1-415-555-2671",
      "+33 1 23 45 67 89",
      "+49 30 12345678",
      "+91 98765 43210",
      "0044 20 7946 0958",
      "(415) 555-2671",
      "415-555-2671",
      "415.555.2671",
      "1-800-555-0199",
      "020 7946 0958",
      "07700 900123",
      "01 23 45 67 89",
      "030-12345678",
    ]) {
      finds("phone", v);
      finds("phone", v, (x) => `tel:${x}, thanks`);
    }
    finds("phone", "020 7946 0958", (x) => `(${x})`);
  });
  it("rejects timestamps, dates, versions, decimals, ids and ranges", () => {
    none("2026-11-02 08:00:00");
    none("2026-11-02T08:00:00.123Z");
    none("1764000000000 and 1764000000");
    none("v2.10.0-rc.1 1.2.3 10.0.19041.1");
    none("0.123456789012 and 3.14159265358");
    none("job_123456789 run-2026-11-02-3 part-00001-of-00008");
    none("1000-2000-3000");
    none("415-555-2671x");
    none("a415-555-2671");
    none("id 4155552671");
    none("12 34 56 78 90");
    none("+0 123 456 789");
  });
  it("isPhone applies the grouping rules", () => {
    expect(isPhone("+1 4 5")).toBe(false);
    expect(isPhone("(415 555-2671")).toBe(false);
    expect(isPhone("(415) 155-2671")).toBe(false); // exchange starts with 1
    expect(isPhone("00 44 20 7946 0958")).toBe(true);
  });
});

describe("payment cards", () => {
  it("finds Luhn-valid numbers with known issuers, grouped or not", () => {
    for (const v of [
      "4242424242424242",
      "4242 4242 4242 4242",
      "4242-4242-4242-4242",
      "5555555555554444",
      "2223003122003222",
      "378282246310005",
      "3782 822463 10005",
      "6011111111111117",
      "3056930009020004",
      "3566002020360505",
      "6200000000000005",
      "4222222222222",
    ]) {
      finds("card", v);
    }
    finds("card", "4242 4242 4242 4242", (x) => `card ${x} 12 28`);
  });
  it("rejects bad checksums, unknown issuers, odd layouts and digits glued to other text", () => {
    none("4242424242424241");
    none("1234567812345670"); // Luhn-valid, no issuer starts with 1
    none("4242 42424 2424242");
    none("4242 4242-4242 4242");
    none("v4242424242424242 x4242424242424242 0.4242424242424242");
    none("4242424242424242.5");
    expect(luhn("79927398713")).toBe(true);
    expect(luhn("79927398710")).toBe(false);
    expect(isCardNumber("4242 4242 4242 4242")).toBe(true);
  });
});

describe("IBAN", () => {
  it("finds valid IBANs, grouped or compact, any case", () => {
    for (const v of [
      "GB82WEST12345698765432",
      "GB82 WEST 1234 5698 7654 32",
      "DE89370400440532013000",
      "FR1420041010050500013M02606",
      "NL91ABNA0417164300",
      "NO9386011117947",
      "de89 3704 0044 0532 0130 00",
    ]) {
      finds("iban", v);
    }
  });
  it("rejects wrong check digits, lengths and countries", () => {
    none("GB83WEST12345698765432");
    none("GB82WEST1234569876543");
    none("XX82WEST12345698765432");
    none("GB82 WES T1234 5698 7654 32"); // spaces only between groups of four
    expect(isIban("GB00WEST12345698765432")).toBe(false);
  });
});

describe("IP addresses", () => {
  it("finds IPv4 with optional prefix length", () => {
    for (const v of ["192.168.1.20", "8.8.8.8", "10.0.0.0/8", "203.0.113.254"]) {
      finds("ipv4", v);
      finds("ipv4", v, (x) => `${x}:8080`);
    }
    finds("ipv4", "10.0.0.1", (x) => `from ${x}.`);
  });
  it("rejects bad octets, versions, loopback and netmasks", () => {
    none("256.1.1.1 1.2.3 1.2.3.4.5 01.2.3.4 v1.2.3.4 1.2.3.4a");
    none("127.0.0.1 0.0.0.0 255.255.255.0");
    expect(isIpv4("1.2.3.4")).toBe(true);
  });
  it("finds IPv6, compressed and with embedded IPv4", () => {
    for (const v of [
      "2001:db8:85a3:0:0:8a2e:370:7334",
      "2001:db8::ff00:42:8329",
      "fe80::1ff:fe23:4567:890a",
      "::ffff:192.0.2.128",
      "2001:db8::/32",
      "1::",
    ]) {
      finds("ipv6", v);
    }
    finds("ipv6", "2001:db8::1", (x) => `[${x}]:443`);
  });
  it("rejects times, MAC addresses, loopback and malformed groups", () => {
    none("08:00:00 12:30");
    none("00:1a:2b:3c:4d:5e");
    none("::1 and ::");
    none("1:2:3:4:5:6:7:8:9 2001:db8:::1 12345::1 std::vector");
    expect(ipv6Groups("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(isIpv6("1:2:3:4:5:6:7::")).toBe(true);
    expect(isIpv6("1:2:3:4:5:6:7:8::")).toBe(false);
  });
});

describe("US SSN", () => {
  it("finds dashed and spaced numbers, bare ones only near a keyword", () => {
    finds("ssn", "123-45-6780");
    finds("ssn", "536 22 8726");
    finds("ssn", "536228726", (x) => `SSN: ${x}`);
    finds("ssn", "536228726", (x) => x, "ssn");
    none("id 536228726");
  });
  it("applies the SSA rules", () => {
    none("000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000");
    none("078-05-1120 219-09-9999 111-11-1111 123-45-6789");
    none("123-45 6780");
    none("x123-45-6780 123-45-6780.5");
    expect(isSsn("899-99-9999")).toBe(true);
  });
});

describe("credentials with a shape", () => {
  it("finds each provider's keys", () => {
    finds("aws-access-key", "AKIAIOSFODNN7EXAMPLE");
    finds("aws-access-key", "ASIAY34FZKBOKMUTVV7A", (x) => `"${x}"`);
    finds("github-token", `ghp_${"a1B2".repeat(9)}`);
    finds("github-token", `ghs_${"Zz09".repeat(9)}`, (x) => `token=${x}`);
    finds("github-token", `github_pat_${"A1b2".repeat(5)}AB_${"x9".repeat(29)}z`);
    finds("slack-token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx");
    finds(
      "slack-token",
      "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    );
    finds("stripe-key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    finds("stripe-key", "rk_test_51H8abcdefGHIJKLmnop");
    finds("google-api-key", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe");
    finds("jwt", JWT);
    finds("jwt", JWT, (x) => `Authorization: Bearer ${x}`);
  });
  it("requires the exact shape", () => {
    none("AKIAIOSFODNN7EXAMPL"); // 19 characters
    none("XAKIAIOSFODNN7EXAMPLE");
    none(`ghp_${"a".repeat(35)}`);
    none("pk_live_4eC39HqLyjWDarjtT1zdp7dc"); // publishable keys are public
    none("xoxb-abcdefghijklmnop"); // no digit
    none("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQ"); // 34 after AIza
    none("eyJzdWIiOiIxMjM0NTY3ODkwIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"); // header has no alg
    expect(isJwt(JWT)).toBe(true);
    expect(isJwt("eyJ!.a.b")).toBe(false);
  });
  it("finds PEM private key blocks, whole, and cut short ones to the end", () => {
    const block = `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEow".repeat(20)}\n-----END RSA PRIVATE KEY-----`;
    finds("private-key", block, (x) => `key:\n${x}\ntrailer`);
    const open = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk`;
    finds("private-key", open, (x) => `start ${x}`);
    none("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    none("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----");
  });
  it("finds AWS secret keys next to their keyword only", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    finds("aws-secret-key", secret, (x) => `aws_secret_access_key=${x}`);
    finds("aws-secret-key", secret, (x) => x, "AWS_SECRET_ACCESS_KEY");
    none(`checksum ${secret}`);
  });
});

describe("generic secrets near a keyword", () => {
  it("splits and classifies names", () => {
    expect(words("clientSecret")).toEqual(["client", "secret"]);
    expect(words("DB_PASSWORD")).toEqual(["db", "password"]);
    expect(words("APIKey")).toEqual(["api", "key"]);
    for (const n of [
      "password",
      "db_password",
      "api_key",
      "apiKey",
      "clientSecret",
      "auth-token",
      "X-Api-Key",
      "privateKey",
      "secret",
    ]) {
      expect(secretName(n), n).not.toBe("none");
    }
    for (const n of [
      "max_tokens",
      "tokenizer",
      "token_count",
      "input_tokens",
      "auth_method",
      "api_key_id",
      "public_key",
      "author",
      "keyboard",
      "secret_ref",
      "password_policy",
    ]) {
      expect(secretName(n), n).toBe("none");
    }
  });
  it("finds high-entropy values under a secret name, whole or after a scheme", () => {
    finds("secret", "Xy7#kLm2pQ9z", (x) => x, "password");
    finds("secret", "a8f5f167f44f4964e6c998dee827110c", (x) => x, "api_key");
    finds("secret", "/lDj/bn3dK32UYw56GdsENp4", (x) => x, "clientSecret");
    finds("secret", "d2F0ZXJtZWxvbjpzZWNyZXQ", (x) => `Bearer ${x}`, "Authorization");
  });
  it("finds assignments in text", () => {
    finds("secret", "Tr0ub4dor&3xyz", (x) => `connect password=${x} now`);
    finds("secret", "qZHE5H2D6MhYBAmctX4ET6QpMJ", (x) => `api_key: "${x}"`);
    finds("secret", "qZHE5H2D6MhYBAmctX4ET6QpMJ", (x) => `{"client_secret":"${x}"}`);
    finds("secret", "qZHE5H2D6MhYBAmctX4ET6QpMJ", (x) => `Authorization: Bearer ${x}`);
    finds("secret", "qZHE5H2D6MhYBAmctX4ET6QpMJ", (x) => `TOKEN := ${x};`);
  });
  it("leaves low-entropy values, placeholders, references and stop-word names alone", () => {
    none("password", "password");
    none("********", "password");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell placeholder, on purpose
    none("${DB_PASSWORD}", "password");
    none("<redacted>", "api_key");
    none("sentencepiece", "token");
    none("max_tokens=4096 tokenizer=sentencepiece token_count=123456");
    none("secret_ref=vault:kv/ml/llama-3-8b auth_method=oidc api_version=2024-06-01");
    none("password=/etc/ml/db-password.txt");
    none("token: https://auth.example.com/oauth/token");
  });
  it("computes Shannon entropy in bits per character", () => {
    expect(entropy("")).toBe(0);
    expect(entropy("aaaa")).toBe(0);
    expect(entropy("ab")).toBe(1);
    expect(entropy("0123456789abcdef")).toBe(4);
    expect(entropy("éé")).toBe(0);
  });
});

describe("detect", () => {
  it("resolves overlaps by kind priority and returns sorted, disjoint findings", () => {
    const text = `mail jane@example.com from 10.0.0.1, key ${JWT}; ::ffff:192.0.2.1 GB82 WEST 1234 5698 7654 32`;
    const fs = detect(text);
    expect(fs.map((f) => f.kind)).toEqual(["email", "ipv4", "jwt", "ipv6", "iban"]);
    for (let i = 1; i < fs.length; i++) {
      expect(fs[i]?.start).toBeGreaterThanOrEqual(fs[i - 1]?.end as number);
    }
  });
  it("limits itself to the kinds asked for", () => {
    expect(detect("jane@example.com 10.0.0.1", { kinds: ["ipv4"] }).map((f) => f.kind)).toEqual([
      "ipv4",
    ]);
  });
  it("lists the kinds in priority order", () => {
    expect(KINDS.indexOf("private-key")).toBe(0);
    expect(KINDS.indexOf("iban")).toBeLessThan(KINDS.indexOf("card"));
    expect(KINDS.at(-1)).toBe("secret");
  });
  it("never throws and returns well-formed findings on any string (property)", () => {
    const alphabet = fc.constantFrom(..."0123456789 -.:+()@/=_aeAKIxyzGBghp\n\"'".split(""));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: alphabet, maxLength: 200 })),
        fc.option(fc.constantFrom("password", "api_key", "ssn", "note"), { nil: undefined }),
        (text, key) => {
          const fs = detect(text, key === undefined ? {} : { key });
          let end = 0;
          for (const f of fs) {
            expect(f.start).toBeGreaterThanOrEqual(end);
            expect(f.end).toBeGreaterThan(f.start);
            expect(text.slice(f.start, f.end)).toBe(f.value);
            expect(KINDS).toContain(f.kind);
            end = f.end;
          }
        },
      ),
      { numRuns: Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 300) },
    );
  });
});

describe("numbers next to other numbers", () => {
  it("finds a card, phone or SSN after or before another number", () => {
    finds("card", "4242 4242 4242 4242", (x) => `order 12 ${x}`);
    finds("phone", "415-555-2671", (x) => `call 2 ${x} today`);
    finds("phone", "696.693.9123", (x) => `${x} 72:23:c8`);
    finds("ssn", "367-70-6697", (x) => `${x} 6/4/2023`);
  });
});

describe("ISO timestamps, which detect() skips without running the detectors", () => {
  // detect() returns nothing for a text that is wholly an ISO 8601 date or date-time, without
  // scanning it; every detector on its own must agree, whatever the member name, so that the
  // shortcut changes no result.
  const two = (n: number) => String(n).padStart(2, "0");
  const timestamp = fc
    .record({
      y: fc.integer({ min: 1000, max: 9999 }),
      mo: fc.integer({ min: 0, max: 99 }),
      d: fc.integer({ min: 0, max: 99 }),
      h: fc.integer({ min: 0, max: 99 }),
      mi: fc.integer({ min: 0, max: 99 }),
      s: fc.integer({ min: 0, max: 99 }),
      frac: fc.stringMatching(/^[0-9]{0,3}$/),
      shape: fc.integer({ min: 0, max: 3 }),
      sep: fc.constantFrom("T", " "),
      zone: fc.constantFrom("", "Z", "+01:00", "-05:30", "+14:00"),
    })
    .map((t) => {
      const date = `${String(t.y).padStart(4, "0")}-${two(t.mo)}-${two(t.d)}`;
      if (t.shape === 0) return date;
      const time = `${two(t.h)}:${two(t.mi)}${t.shape >= 2 ? `:${two(t.s)}` : ""}${t.shape === 3 && t.frac !== "" ? `.${t.frac}` : ""}`;
      return `${date}${t.sep}${time}${t.zone}`;
    });
  const DETECTORS = [
    detectCards,
    detectEmails,
    detectGenericSecrets,
    detectIbans,
    detectIpv4,
    detectIpv6,
    detectPhones,
    detectSsns,
    detectAwsSecrets,
    detectPrivateKeys,
    detectTokens,
  ];

  it("no detector finds anything in one, under a member name that does not say secret", () => {
    fc.assert(
      fc.property(
        timestamp,
        fc.constantFrom(undefined, "ssn", "phone", "created_at", "ts", "card", "ip"),
        (text, key) => {
          for (const run of DETECTORS) {
            const out: Finding[] = [];
            run({ text, key }, out);
            expect(out, `${run.name} on ${text} (${key})`).toEqual([]);
          }
          expect(detect(text, key === undefined ? {} : { key })).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 3000) },
    );
  });

  it("is a secret under a member name that says so, as any value is", () => {
    for (const key of ["password", "db_password"]) {
      expect(
        detect("2026-11-26T10:00:00Z", { key }).map((f) => f.kind),
        key,
      ).toEqual(["secret"]);
    }
  });

  it("still scans a year below 1000, which the phone detector may take for a number", () => {
    expect(detect("0010-00-00 00:00").map((f) => f.kind)).toEqual(["phone"]);
    // and a fraction beyond milliseconds
    expect(detect("2026-11-26T10:00:00.10000000").map((f) => f.kind)).toEqual(["phone"]);
  });

  it("still scans what only starts or ends like one", () => {
    expect(detect("2026-11-26T10:00:00Z call +44 7700 900789").map((f) => f.kind)).toEqual([
      "phone",
    ]);
    expect(detect("jane@example.com 2026-11-26").map((f) => f.kind)).toEqual(["email"]);
    expect(detect("2026-11-26T10:00:00+01:00:4111 1111 1111 1111").length).toBeGreaterThan(0);
  });
});

describe("hex ids, which detect() skips without running the detectors", () => {
  // A hash in lower-case hex (with a letter, not starting like an IBAN) or a UUID: every
  // detector on its own must find nothing, whatever the member name (unless it says secret), so
  // that the shortcut changes no result. Digit-heavy on purpose: that is where cards, phone
  // numbers and SSNs would be.
  const HEX = "0123456789abcdef";
  const hexChar = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(..."0123456789") },
    { weight: 1, arbitrary: fc.constantFrom(...HEX) },
  );
  const hexRun = (min: number, max: number) =>
    fc.array(hexChar, { minLength: min, maxLength: max }).map((a) => a.join(""));
  const hash = hexRun(16, 80).filter((t) => /[a-f]/.test(t) && !/^[a-f]{2}[0-9]{2}/.test(t));
  const uuid = fc
    .tuple(hexRun(8, 8), hexRun(4, 4), hexRun(4, 4), hexRun(4, 4), hexRun(12, 12), fc.boolean())
    .map(([a, b, c, d, e, upper]) => {
      const u = `${a}-${b}-${c}-${d}-${e}`;
      return upper ? u.toUpperCase() : u;
    });
  const DETECTORS = [
    detectCards,
    detectEmails,
    detectGenericSecrets,
    detectIbans,
    detectIpv4,
    detectIpv6,
    detectPhones,
    detectSsns,
    detectAwsSecrets,
    detectPrivateKeys,
    detectTokens,
  ];

  it("no detector finds anything in one, under a member name that does not say secret", () => {
    fc.assert(
      fc.property(
        fc.oneof(hash, uuid),
        fc.constantFrom(undefined, "ssn", "phone", "sha256", "request_id", "card", "iban"),
        (text, key) => {
          for (const run of DETECTORS) {
            // The one difference: the phone detector alone reads the start of a UUID such as
            // 00600000-0000-… as a number after the international prefix 00; detect() does
            // not (an id, not personal data: one false positive fewer).
            if (run === detectPhones && text.length === 36) continue;
            const out: Finding[] = [];
            run({ text, key }, out);
            expect(out, `${run.name} on ${text} (${key})`).toEqual([]);
          }
          expect(detect(text, key === undefined ? {} : { key })).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 3000) },
    );
  });

  it("still scans a lower-case IBAN, a secret's value, and hex with other characters", () => {
    expect(detect("de89370400440532013000").map((f) => f.kind)).toEqual(["iban"]);
    const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    expect(detect(hex, { key: "api_key" }).map((f) => f.kind)).toEqual(["secret"]);
    expect(detect(`${hex.slice(0, 20)} +44 7700 900789`).map((f) => f.kind)).toEqual(["phone"]);
  });
});
