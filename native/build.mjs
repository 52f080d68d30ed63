/**
 * Builds the native addons with node-gyp, offline, against the headers of the Node that runs
 * this script, then loads each in a child process and checks it. Prints one line for each
 * saying whether it is available, and always exits 0: without them, logseal uses node:crypto.
 * - native/hash.c (logseal_hash): batch SHA-256 for the Merkle tree;
 * - native/aead/aead.c (logseal_aead): batch AES-256-GCM for the vault, on the OpenSSL the
 *   node binary carries (its headers and exported EVP symbols). A separate addon, built and
 *   checked on its own, so that a Node without those symbols loses only this one.
 *
 *   node native/build.mjs          (npm runs it as the "install" script)
 *
 * Set LOGSEAL_NATIVE=0 to skip the build.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, "build", "Release", "logseal_hash.node");
const aeadDir = join(here, "aead");
const aeadAddon = join(aeadDir, "build", "Release", "logseal_aead.node");
const say = (line) => console.log(`logseal: ${line}`);

function main() {
  if (process.env.LOGSEAL_NATIVE === "0") {
    say("native hashing skipped (LOGSEAL_NATIVE=0); using node:crypto");
    say("native AES-256-GCM skipped (LOGSEAL_NATIVE=0); using node:crypto");
    return;
  }
  buildHash();
  buildAead();
}

function buildHash() {
  const gyp = findNodeGyp();
  if (gyp === null) return unavailable("node-gyp not found");
  const nodedir = findHeaders();
  if (nodedir === null) return unavailable("no local Node headers (node_api.h)");
  // --nodedir keeps node-gyp from downloading headers; it never needs the network here.
  const r = spawnSync(
    process.execPath,
    [gyp, "rebuild", "--directory", here, `--nodedir=${nodedir}`, "--loglevel=error"],
    { encoding: "utf8", timeout: 300_000, env: { ...process.env, npm_config_offline: "true" } },
  );
  if (r.status !== 0 || !existsSync(addon)) {
    const log = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    if (process.env.LOGSEAL_NATIVE_VERBOSE && log) console.error(log);
    rmSync(addon, { force: true });
    return unavailable(r.error ? r.error.message : `build failed (exit ${r.status})`);
  }
  const check = spawnSync(process.execPath, ["-e", CHECK, addon], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const out = (check.stdout ?? "").trim();
  if (check.status !== 0 || !out.startsWith("ok ")) {
    // A built addon that does not load or hashes wrong must not stay where logseal finds it.
    rmSync(addon, { force: true });
    return unavailable(
      `built addon failed its check: ${out || check.stderr?.trim() || check.signal}`,
    );
  }
  say(`native hashing available (${out.slice(3)})`);
}

function unavailable(why) {
  say(`native hashing unavailable (${why}); using node:crypto`);
}

function buildAead() {
  const none = (why) => say(`native AES-256-GCM unavailable (${why}); using node:crypto`);
  const gyp = findNodeGyp();
  if (gyp === null) return none("node-gyp not found");
  const nodedir = findHeaders();
  if (nodedir === null) return none("no local Node headers (node_api.h)");
  if (!existsSync(join(nodedir, "include", "node", "openssl", "evp.h"))) {
    return none("Node's headers carry no OpenSSL (openssl/evp.h)");
  }
  const r = spawnSync(
    process.execPath,
    [gyp, "rebuild", "--directory", aeadDir, `--nodedir=${nodedir}`, "--loglevel=error"],
    { encoding: "utf8", timeout: 300_000, env: { ...process.env, npm_config_offline: "true" } },
  );
  if (r.status !== 0 || !existsSync(aeadAddon)) {
    const log = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    if (process.env.LOGSEAL_NATIVE_VERBOSE && log) console.error(log);
    rmSync(aeadAddon, { force: true });
    return none(r.error ? r.error.message : `build failed (exit ${r.status})`);
  }
  const check = spawnSync(process.execPath, ["-e", AEAD_CHECK, aeadAddon], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const out = (check.stdout ?? "").trim();
  if (check.status !== 0 || !out.startsWith("ok ")) {
    // Symbols missing from this node binary show up here (load or first call), in the child.
    rmSync(aeadAddon, { force: true });
    return none(`built addon failed its check: ${out || check.stderr?.trim() || check.signal}`);
  }
  say(`native AES-256-GCM available (${out.slice(3)})`);
}

/** node-gyp as npm ships it: npm's own setting first, then beside the npm of this Node. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  const prefix = dirname(dirname(process.execPath));
  candidates.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  candidates.push(
    join(prefix, "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  if (process.env.npm_execpath) {
    try {
      const npmRoot = dirname(dirname(realpathSync(process.env.npm_execpath)));
      candidates.push(join(npmRoot, "node_modules", "node-gyp", "bin", "node-gyp.js"));
    } catch {}
  }
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** A directory holding include/node/node_api.h for this Node, without the network. */
function findHeaders() {
  const version = process.version.slice(1);
  const candidates = [
    process.env.npm_config_nodedir,
    dirname(dirname(process.execPath)),
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "node-gyp", version),
    join(homedir(), ".node-gyp", version),
  ];
  return (
    candidates.find((d) => {
      if (!d) return false;
      const header = join(d, "include", "node", "node_version.h");
      if (!existsSync(join(d, "include", "node", "node_api.h")) || !existsSync(header)) {
        return false;
      }
      // Headers of another Node would build an addon that loads (Node-API is stable) but
      // node-gyp would also take that Node's config.gypi: use only this version's.
      const h = readFileSync(header, "utf8");
      const v = ["MAJOR", "MINOR", "PATCH"]
        .map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1])
        .join(".");
      return v === version;
    }) ?? null
  );
}

// Runs in a child, so that an addon that crashes on load cannot take the install down.
const CHECK = `
const { hash } = require("node:crypto");
const a = require(process.argv[1]);
const e = Buffer.alloc(300, 7);
const bundle = Buffer.concat([Buffer.from([1, 44]), e, Buffer.from([0, 0])]);
const leaves = a.bundleLeafHashes(bundle, 2);
const want = Buffer.concat([
  hash("sha256", Buffer.concat([Buffer.from([0]), e]), "buffer"),
  hash("sha256", Buffer.from([0]), "buffer"),
]);
const node = hash("sha256", Buffer.concat([Buffer.from([1]), want]), "buffer");
if (!leaves || !want.equals(leaves) || !node.equals(a.hashPairs(want))) {
  console.log("wrong hashes");
} else console.log("ok " + a.implementation);
`;

// The AES-256-GCM check: a batch sealed by the addon must be node:crypto's bytes, value by value
// (lengths 0 to 40, random keys, nonces and associated data), and open with node:crypto; a
// value node:crypto sealed must open with the addon, and a flipped tag must not.
const AEAD_CHECK = `
const c = require("node:crypto");
const a = require(process.argv[1]);
const n = 41, u8 = (b) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const keys = c.randomBytes(32 * n), nonces = c.randomBytes(12 * n), prefix = c.randomBytes(2 * n);
const plains = [], aads = [];
for (let i = 0; i < n; i++) { plains.push(c.randomBytes(i)); aads.push(c.randomBytes(i % 7)); }
const ends = (xs) => { let s = 0; return Uint32Array.from(xs, (x) => (s += x.length)); };
const out = a.sealBatch(u8(keys), u8(nonces), u8(Buffer.concat(plains)), ends(plains),
  u8(Buffer.concat(aads)), ends(aads), u8(prefix), 2);
let at = 0, bad = null;
for (let i = 0; i < n && bad === null; i++) {
  const key = keys.subarray(32 * i, 32 * i + 32), nonce = nonces.subarray(12 * i, 12 * i + 12);
  const e = c.createCipheriv("aes-256-gcm", key, nonce); e.setAAD(aads[i]);
  const want = Buffer.concat([prefix.subarray(2 * i, 2 * i + 2), nonce, e.update(plains[i]), e.final(), e.getAuthTag()]);
  if (!want.equals(Buffer.from(out.subarray(at, at + want.length)))) bad = "seal " + i;
  const opened = a.open(u8(key), u8(want.subarray(2)), u8(aads[i]));
  if (bad === null && (opened === null || !plains[i].equals(Buffer.from(opened)))) bad = "open " + i;
  const flipped = Buffer.from(want.subarray(2)); flipped[flipped.length - 1] ^= 1;
  if (bad === null && a.open(u8(key), u8(flipped), u8(aads[i])) !== null) bad = "tag " + i;
  at += want.length;
}
if (bad === null && at !== out.length) bad = "length";
console.log(bad === null ? "ok " + a.implementation : "wrong bytes: " + bad);
`;

try {
  main();
} catch (e) {
  say(`native hashing unavailable (${e.message}); using node:crypto`);
}
