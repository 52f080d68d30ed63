/**
 * Builds the native hashing addon (native/hash.c) with node-gyp, offline, against the headers
 * of the Node that runs this script, then loads it in a child process and checks it. Prints one
 * line saying whether native hashing is available, and always exits 0: without the addon,
 * logseal hashes with node:crypto.
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
const say = (line) => console.log(`logseal: ${line}`);

function main() {
  if (process.env.LOGSEAL_NATIVE === "0") {
    say("native hashing skipped (LOGSEAL_NATIVE=0); using node:crypto");
    return;
  }
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

try {
  main();
} catch (e) {
  say(`native hashing unavailable (${e.message}); using node:crypto`);
}
