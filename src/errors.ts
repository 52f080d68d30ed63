/**
 * One error base class for everything logseal reports to a user.
 *
 * Every error carries a stable `code` (`E_…`, documented in the README and never reused for
 * something else), a one-line message that says what to do next, and where known the place the
 * bad input came from. Programmer misuse throws a plain `TypeError` or `RangeError` instead.
 */

/** Where a bad input came from: a file, a line of it, a field inside the value. */
export interface Location {
  file?: string;
  line?: number;
  field?: string;
}

/** Stable error codes. Adding one is fine; changing or reusing one breaks scripts. */
export type ErrorCode =
  | "E_USAGE"
  | "E_INPUT_JSON"
  | "E_INPUT_EMPTY"
  | "E_EVENT_INVALID"
  | "E_EVENT_TOO_LARGE"
  | "E_EVENT_NOT_CANONICAL"
  | "E_KEY_INVALID"
  | "E_NOTE_MALFORMED"
  | "E_NOTE_UNVERIFIED"
  | "E_NOTE_BAD_SIGNATURE"
  | "E_CHECKPOINT_INVALID"
  | "E_INDEX_RANGE"
  | "E_NO_CHECKPOINT"
  | "E_STORE_MISSING"
  | "E_STORE_EXISTS"
  | "E_STORE_LOCKED"
  | "E_STORE_CORRUPT"
  | "E_STORE_VERSION"
  | "E_IO"
  | "E_INPUT_TOO_LARGE"
  | "E_NOT_FOUND"
  | "E_UNAUTHORIZED"
  | "E_FORBIDDEN"
  | "E_RATE_LIMITED"
  | "E_SERVER_BUSY"
  | "E_SERVER"
  | "E_ASSET_UNKNOWN"
  | "E_INDEX_STALE"
  | "E_OPENLINEAGE_INVALID"
  | "E_POLICY_INVALID"
  | "E_CONTROL_UNKNOWN"
  | "E_CONTROLS_POLICY_INVALID"
  | "E_SOA_INVALID"
  | "E_VAULT_MISSING"
  | "E_VAULT_KEY_MISSING"
  | "E_VAULT_KEY_WRONG"
  | "E_VAULT_KEY_INSECURE"
  | "E_VAULT_KEY_INVALID"
  | "E_STORE_ENCRYPTED"
  | "E_ERASED"
  | "E_SUBJECT_UNKNOWN"
  | "E_NOT_MASKED"
  | "E_COMMITMENT_MISMATCH";

export class LogsealError extends Error {
  override readonly name: string = "LogsealError";
  readonly code: ErrorCode;
  readonly location: Location | undefined;
  /** Machine-readable evidence (indexes, hashes, sizes) for reports and `--json`. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { location?: Location; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.location = options.location;
    this.details = options.details;
  }

  /** "file:line: field: message", leaving out the parts that are unknown. */
  where(): string {
    const l = this.location;
    if (l === undefined) return "";
    const parts: string[] = [];
    if (l.file !== undefined) parts.push(l.line !== undefined ? `${l.file}:${l.line}` : l.file);
    else if (l.line !== undefined) parts.push(`line ${l.line}`);
    if (l.field !== undefined) parts.push(`field ${l.field}`);
    return parts.join(": ");
  }

  /**
   * The error as the CLI's `--json` and the server answer it: `code`, `message`, the location's
   * fields, and `details` when there are some.
   */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...this.location,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isLogsealError(e: unknown): e is LogsealError {
  return e instanceof LogsealError;
}

/**
 * `e` with `location` added (the error's own location fields win), for an error raised where
 * the input's file and line were not known; anything else is returned as it is.
 */
export function withLocation(e: unknown, location: Location | undefined): unknown {
  if (!(e instanceof LogsealError) || location === undefined) return e;
  return new LogsealError(e.code, e.message, {
    location: { ...location, ...e.location },
    ...(e.details ? { details: e.details } : {}),
    cause: e.cause,
  });
}
