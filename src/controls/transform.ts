/**
 * The controls step of the append path (an {@link AppendTransform}): it rejects control ids
 * that are not ISO/IEC 27001:2022 Annex A ids (naming the 2022 successor of a 2013 id), and
 * adds the controls the store's policy maps the event's action to, so that the mapping is
 * inside the signed leaf. A store's policy is `<store>/controls-policy.json`, written once when
 * the store is created (`logseal init` writes {@link DEFAULT_CONTROLS_POLICY}, or the file of
 * `--controls-policy`). A store without one (created before policies existed, or by the
 * library's `init()` without `controlsPolicy`) maps nothing: a logseal upgrade never changes
 * what an existing store adds to its leaves. Unknown ids are rejected in every store.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Location, LogsealError } from "../errors.js";
import { isPlainObject } from "../event/schema.js";
import type { AppendTransform, Log, TransformContext, TransformResult } from "../log.js";
import {
  ControlsMapper,
  type ControlsPolicy,
  checkControlIds,
  DEFAULT_CONTROLS_POLICY,
  NO_CONTROLS_POLICY,
  parseControlsPolicy,
} from "./policy.js";

/** The policy file's name inside a store directory. */
export const CONTROLS_POLICY_FILE = "controls-policy.json";

/**
 * Checks the control ids of each value and adds the controls `mapper` maps its action to: the
 * values to validate instead (the same array when nothing changed). The controls transform's
 * whole work, pure, so that the server's ingest workers run it too (src/prepare.ts).
 * @throws LogsealError E_CONTROL_UNKNOWN… for the first bad id, with the location `locate` gives
 */
export function mapControls(
  values: readonly unknown[],
  mapper: ControlsMapper,
  locate: (i: number) => Location | undefined,
): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isPlainObject(v)) continue; // validation names what is wrong
    checkControlIds(v, () => locate(i));
    const own = v.controls;
    if (own !== undefined && !Array.isArray(own)) continue; // validation reports it
    if (typeof v.action !== "string") continue;
    const mapped = mapper.controlsFor(v.action);
    if (mapped.length === 0) continue;
    const have = (own as unknown[] | undefined) ?? [];
    const add = mapped.filter((c) => !have.includes(c));
    if (add.length === 0) continue;
    out ??= [...values];
    out[i] = { ...v, controls: [...have, ...add] };
  }
  return out ?? values;
}

/** The transform that checks and maps the controls of each event of a batch. */
export function controlsTransform(
  policy: ControlsPolicy = DEFAULT_CONTROLS_POLICY,
): AppendTransform {
  const mapper = new ControlsMapper(policy);
  return {
    name: "controls",
    apply(values: readonly unknown[], context: TransformContext): Promise<TransformResult> {
      return Promise.resolve({ values: mapControls(values, mapper, context.locate) });
    },
    portable: () => ({ kind: "controls", name: "controls", policy }),
  };
}

/**
 * The controls policy of the store in `dir`: its own file, or NO_CONTROLS_POLICY.
 * @throws LogsealError E_CONTROLS_POLICY_INVALID (the store's file is damaged), E_IO
 */
export async function storeControlsPolicy(dir: string): Promise<ControlsPolicy> {
  const file = join(dir, CONTROLS_POLICY_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return NO_CONTROLS_POLICY;
    throw new LogsealError("E_IO", `cannot read ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  return parseControlsPolicy(text, file);
}

/** Writes `policy` as the store's own controls policy (at init). */
export async function writeStoreControlsPolicy(dir: string, policy: ControlsPolicy): Promise<void> {
  const file = join(dir, CONTROLS_POLICY_FILE);
  try {
    await writeFile(file, `${JSON.stringify(policy, null, 2)}\n`, { flag: "wx" });
  } catch (e) {
    throw new LogsealError("E_IO", `cannot write ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
}

/**
 * Registers the controls transform on `log` with `policy` (written to the store first when
 * given) or the store's own policy. Closes the log when that fails.
 */
export async function withControls(log: Log, policy?: ControlsPolicy): Promise<Log> {
  try {
    if (policy !== undefined) await writeStoreControlsPolicy(log.dir, policy);
    log.addTransform(controlsTransform(policy ?? (await storeControlsPolicy(log.dir))));
    return log;
  } catch (e) {
    await log.close();
    throw e;
  }
}
