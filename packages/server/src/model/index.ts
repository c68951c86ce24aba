export { AdaptiveConcurrency, INITIAL_MODEL_CONCURRENCY, type CallOutcome, type Permit } from './adaptive-concurrency.js';
export { ModelAssertionProvider } from './assertion-provider.js';
export { ModelResponseCache } from './cache.js';
export {
  ModelClient,
  type ChatContentPart,
  type ChatJsonRequest,
  type ChatJsonResult,
  type ChatMessage,
  type EmbedRequest,
  type EmbedResult,
  type ModelClientOptions,
} from './client.js';
export {
  DEFAULT_MODEL_CONCURRENCY,
  DEFAULT_MODEL_MAX_RETRIES,
  DEFAULT_MODEL_TIMEOUT_MS,
  RETAB_MODEL_ALIASES,
  resolveChatModel,
  type ModelCacheMode,
  type ModelConfig,
  type StructuredOutputMode,
} from './config.js';
export { reconcile, type Consensus, type Likelihoods } from './consensus.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export type { RetryPolicy } from './retry.js';
export { addTokenUsage, NO_TOKENS, tokenUsageOf, type TokenUsage } from './usage.js';
export { connectSharedThrottle, RedisSharedThrottle, type SharedThrottle, type ThrottleNews } from './shared-throttle.js';
