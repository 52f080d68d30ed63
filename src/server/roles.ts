/**
 * Roles and what they may do on the server (DESIGN.md, "Roles"; formats/http-api.md has the
 * matrix per endpoint).
 *
 *   viewer   read: events, entries, proofs, tiles, checkpoint, stream, log info; metrics
 *   auditor  viewer + history: every stored checkpoint (verification-related reads); evidence
 *            reports per control
 *   writer   append only
 *   admin    everything: + sign a checkpoint on demand, manage tokens, reveal masked values
 *            and erase data subjects (privacy-routes.ts)
 *
 * Non-admin roles see what the log stores and nothing more: leaves hold masked values only.
 */

export type Role = "viewer" | "auditor" | "writer" | "admin";

export const ROLES: readonly Role[] = ["viewer", "auditor", "writer", "admin"];

/** What an endpoint needs. */
export type Permission =
  | "read"
  | "history"
  | "evidence"
  | "append"
  | "checkpoint"
  | "tokens"
  | "metrics"
  | "reveal"
  | "erase";

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(["read", "metrics"]),
  auditor: new Set(["read", "history", "evidence", "metrics"]),
  writer: new Set(["append"]),
  admin: new Set([
    "read",
    "history",
    "evidence",
    "append",
    "checkpoint",
    "tokens",
    "metrics",
    "reveal",
    "erase",
  ]),
};

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
