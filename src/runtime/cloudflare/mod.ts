/**
 * The Cloudflare Workers entry: a module Worker around the ingest app, with
 * an optional durable path through Cloudflare Queues. Import from
 * `@harombe/siem/cloudflare` and `export default` it, or use
 * {@linkcode createWorker} to add options; see `worker.ts` for the bindings
 * and the queue mode.
 *
 * @example
 * ```ts ignore
 * // src/index.ts of a Worker
 * export { default } from "@harombe/siem/cloudflare";
 * ```
 *
 * @module
 */
export {
  createWorker,
  default,
  type IngestWorker,
  type WorkerEnv,
  type WorkerExecutionContext,
  type WorkerOptions,
} from "./worker.ts";
export { WORKER_MAX_BUFFERED_BYTES } from "../../platforms/siem_config.ts";
export {
  consumeQueueBatch,
  defaultRetryDelaySeconds,
  type QueueBatchSummary,
  type QueueConsumerOptions,
} from "../../spool/queue_consumer.ts";
export {
  type DeadLetterForwardOptions,
  type DeadLetterForwardSummary,
  defaultDeadLetterRetryDelaySeconds,
  forwardDeadLetterBatch,
} from "../../spool/dead_letter_forward.ts";
export {
  type MessageBatchLike,
  type MessageLike,
  QUEUE_LIMITS,
  type QueueContentType,
  type QueueDeadLetterMessage,
  type QueueEventsMessage,
  type QueueMessageRequest,
  type QueueProducerLike,
  type QueueRetryOptions,
  type QueueSendBatchOptions,
  type QueueSendOptions,
} from "../../spool/queue_like.ts";
export {
  QueueSink,
  type QueueSinkOptions,
  type QueueSinkStats,
} from "../../spool/queue_sink.ts";
