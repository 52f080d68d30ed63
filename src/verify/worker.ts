/**
 * A hashing worker of the verifier: receives chunk jobs (`wire.ts`), runs `hashChunk`, and
 * posts the results back. It reads nothing itself: the main thread owns the store.
 */
import { parentPort } from "node:worker_threads";
import { hashBackend } from "../merkle/index.js";
import { hashChunk } from "./chunk.js";
import { type JobMessage, type ResultMessage, resultTransfer, unpackJob } from "./wire.js";

const port = parentPort;
if (port === null) throw new Error("the verifier's worker runs only as a worker thread");
port.on("message", (msg: JobMessage) => {
  let reply: ResultMessage;
  try {
    const result = hashChunk(unpackJob(msg));
    port.postMessage({ id: msg.id, result } satisfies ResultMessage, resultTransfer(result));
    return;
  } catch (e) {
    reply = { id: msg.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true, backend: hashBackend } satisfies ResultMessage);
