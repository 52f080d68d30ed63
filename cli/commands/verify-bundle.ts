/** `logseal verify --bundle FILE --key VKEY`: an evidence bundle, checked offline. */
import { readFile } from "node:fs/promises";
import { LogsealError, MAX_BUNDLE_BYTES, type Verifier, verifyBundle } from "../../src/index.js";
import { EXIT_INTEGRITY, EXIT_OK } from "../exit-codes.js";
import { plural } from "../format.js";
import { out, print, printJson } from "../output.js";

export async function checkBundle(file: string, keys: Verifier[], json: boolean): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read --bundle ${file}: ${(e as Error).message}`, {
      location: { file },
    });
  }
  if (bytes.length > MAX_BUNDLE_BYTES) {
    throw new LogsealError("E_USAGE", `${file} is larger than ${MAX_BUNDLE_BYTES} bytes`, {
      location: { file },
    });
  }
  const r = verifyBundle(bytes, keys);
  if (json) {
    const { ok, ...rest } = r;
    printJson({
      ok,
      mode: "bundle",
      source: { type: "bundle", path: file },
      ...rest,
      keys: keys.map((k) => ({ vkey: k.vkey, pinned: true })),
    });
    return ok ? EXIT_OK : EXIT_INTEGRITY;
  }
  const sel = r.selection;
  print(
    `bundle ${file}: log ${r.origin || "?"}, ${plural(r.entries, "entry", "entries")}${sel?.control ? ` evidencing ${sel.control}` : ""}${sel?.from || sel?.to ? ` from ${sel?.from ?? "the beginning"} to ${sel?.to ?? "the checkpoint"}` : ""}, checkpoint size ${r.size}`,
  );
  for (const k of keys) print(`key ${k.vkey} (pinned)`);
  if (!r.ok) {
    print(out.red(`FAILED: ${plural(r.failures.length, "failure")}`));
    for (const f of r.failures) print(`  ${f.step}: ${f.message}`);
    return EXIT_INTEGRITY;
  }
  print(
    out.green(
      `ok: every entry proves into the checkpoint of size ${r.size} (root ${r.root}), signed by ${r.verifiedBy.join(", ")}; the seal covers every byte of the bundle`,
    ),
  );
  return EXIT_OK;
}
