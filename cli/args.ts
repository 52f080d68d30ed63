/** Argument parsers shared by the commands; each throws E_USAGE naming the argument. */
import { LogsealError, parseVkey, type Verifier } from "../src/index.js";

/** A non-negative decimal integer without sign, leading zeros or exponent. */
export function parseIndex(value: string, name: string): number {
  if (!/^(0|[1-9]\d{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new LogsealError(
      "E_USAGE",
      `${name} must be a non-negative integer, got ${JSON.stringify(value)}`,
      {
        location: { field: name },
      },
    );
  }
  return Number(value);
}

/** The store directory: `--store`, else `LOGSEAL_STORE`, else `./.logseal`. */
export function storeDir(opt: string | undefined): string {
  return opt ?? process.env.LOGSEAL_STORE ?? ".logseal";
}

/** Parses pinned vkeys, naming the bad one. */
export function parseKeys(vkeys: string[], source: string): Verifier[] {
  return vkeys.map((k, i) => {
    try {
      return parseVkey(k);
    } catch (e) {
      throw new LogsealError("E_KEY_INVALID", `${source} ${i + 1}: ${(e as Error).message}`, {
        location: { field: source },
        cause: e,
      });
    }
  });
}
