/**
 * The event layer: schema v1 validation, the canonical leaf encoding and text input.
 * Specification: formats/event-v1.md.
 */

export { CanonicalWriter } from "./canonical.js";
export { type ParsedEvent, parseEventsText } from "./input.js";
export { decodeLeaf, decodeStoredLeaf, encodeLeaf, leafTooLarge, MAX_LEAF_SIZE } from "./leaf.js";
export {
  ACTOR_KINDS,
  type Actor,
  type ActorKind,
  completeEvent,
  type Event,
  type EventInput,
  type JsonObject,
  type JsonValue,
  LIMITS,
  MAX_TIMESTAMP,
  OUTCOMES,
  type Outcome,
  validateEvent,
  validateStoredEvent,
} from "./schema.js";
export { encodeInput, encodeValidated } from "./write.js";
