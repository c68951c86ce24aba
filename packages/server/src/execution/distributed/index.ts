export { DistributedExecutor, isObservableExecutor, type ObservableExecutor, type DistributedExecutorTuning } from './distributed-executor.js';
export { QueueWorker, type QueueWorkerOptions, type JobOutcome } from './queue-worker.js';
export type { DistributedOptions } from './options.js';
export { LATENCY_BUCKETS_SECONDS, type HistogramName, type HistogramSnapshot } from './metrics.js';
export type { QueueDepth } from './queues.js';
