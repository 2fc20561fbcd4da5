/**
 * The Worker of the Queues smoke test: the package's Worker with retries
 * one second apart (the default grows from 10 s), so that a message runs out
 * of retries within seconds.
 *
 * @module
 */
import {
  createWorker,
  type IngestWorker,
} from "../../../src/runtime/cloudflare/worker.ts";

/** The Worker under test. */
const worker: IngestWorker = createWorker({
  retryDelaySeconds: () => 1,
  deadLetterRetryDelaySeconds: () => 1,
});
export default worker;
