/**
 * The server layer: `logseal serve` (HTTP API, group commit, live tail, roles and tokens) and
 * its client. Specification: formats/http-api.md.
 */

export {
  type AppendResponse,
  type ClientOptions,
  type EventsPage,
  type EventsQuery,
  LogClient,
  type LogInfo,
  type StreamEntry,
  type TailOptions,
} from "./client.js";
export type { ServerSoa } from "./evidence-route.js";
export { type EventFilter, type EventsQueryOptions, parseEventsQuery } from "./query.js";
export { can, isRole, type Permission, ROLES, type Role } from "./roles.js";
export { type LogServer, type ServerOptions, startServer } from "./server.js";
export { readServerFile, SERVER_FILE, type ServerFile } from "./server-file.js";
export { createToken, listTokens, revokeToken, type TokenInfo } from "./tokens.js";
