export type ModelCacheMode = 'off' | 'readwrite' | 'replay';
/**
 * How structured answers are requested. `auto` asks for a `json_schema` response format and falls
 * back to JSON mode (then to a plain prompt) when the server refuses it; the answer is always
 * validated against the schema, with one repair turn.
 */
export type StructuredOutputMode = 'auto' | 'json_schema' | 'json_object' | 'prompt';

export interface ModelConfig {
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:11434/v1`; null only when replaying from the cache. */
  baseURL: string | null;
  apiKey: string;
  /** Used when a block names no model or one of Retab's aliases; null when `VERDICT_MODEL` is unset. */
  defaultModel: string | null;
  embeddingModel: string | null;
  /** The most model calls in flight at once in this process; the limit actually used is found below it. */
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  cacheMode: ModelCacheMode;
  cacheDir: string;
  structuredOutput: StructuredOutputMode;
}

/** A ceiling, not a setting: below it the limit is found from the provider's answers (AdaptiveConcurrency). */
export const DEFAULT_MODEL_CONCURRENCY = 256;
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;
export const DEFAULT_MODEL_MAX_RETRIES = 4;

/** Retab's model aliases: Verdict maps them to the operator's `VERDICT_MODEL`. */
export const RETAB_MODEL_ALIASES: readonly string[] = ['retab-micro', 'retab-small', 'retab-large'];

/**
 * The chat model a block runs on: its own `model`, except that a missing model and Retab's
 * aliases mean the operator's `VERDICT_MODEL`. Null when that is needed but unset.
 */
export function resolveChatModel(config: ModelConfig, requested: unknown): string | null {
  if (typeof requested === 'string' && requested.trim() !== '' && !RETAB_MODEL_ALIASES.includes(requested.trim())) return requested.trim();
  return config.defaultModel;
}
