import { join } from 'node:path';

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
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  cacheMode: ModelCacheMode;
  cacheDir: string;
  structuredOutput: StructuredOutputMode;
}

export const DEFAULT_MODEL_CONCURRENCY = 8;
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;
export const DEFAULT_MODEL_MAX_RETRIES = 4;

/** Retab's model aliases: Verdict maps them to the operator's `VERDICT_MODEL`. */
export const RETAB_MODEL_ALIASES: readonly string[] = ['retab-micro', 'retab-small', 'retab-large'];

/** A configuration value that cannot be used; the message names the variable and what it accepts. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ModelConfigError(`${name} must be a whole number of at least ${min}; got "${raw}".`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = raw.toLowerCase() as T;
  if (!allowed.includes(value)) throw new ModelConfigError(`${name} must be one of ${allowed.join(', ')}; got "${raw}".`);
  return value;
}

/**
 * The model provider configuration from the environment, or null when no provider is configured
 * (no `VERDICT_MODEL_BASE_URL` and no cache to replay): model-backed blocks and assertions then
 * report `provider_not_configured`. Throws ModelConfigError for a value that cannot be used.
 */
export function loadModelConfig(env: Env, dataDir: string): ModelConfig | null {
  const baseURL = text(env, 'VERDICT_MODEL_BASE_URL');
  const cacheMode = oneOf<ModelCacheMode>(env, 'VERDICT_MODEL_CACHE', ['off', 'readwrite', 'replay'], 'off');
  if (baseURL === null && cacheMode !== 'replay') return null;
  if (baseURL !== null && !/^https?:\/\//i.test(baseURL)) {
    throw new ModelConfigError(`VERDICT_MODEL_BASE_URL must be an http(s) URL such as http://127.0.0.1:11434/v1; got "${baseURL}".`);
  }
  return {
    baseURL,
    // Local servers (vLLM, Ollama, llama.cpp) ignore the key, but the openai client insists on one.
    apiKey: text(env, 'VERDICT_MODEL_API_KEY') ?? 'not-needed',
    defaultModel: text(env, 'VERDICT_MODEL'),
    embeddingModel: text(env, 'VERDICT_EMBEDDING_MODEL'),
    concurrency: integer(env, 'VERDICT_MODEL_CONCURRENCY', DEFAULT_MODEL_CONCURRENCY, 1),
    timeoutMs: integer(env, 'VERDICT_MODEL_TIMEOUT_MS', DEFAULT_MODEL_TIMEOUT_MS, 1),
    maxRetries: integer(env, 'VERDICT_MODEL_MAX_RETRIES', DEFAULT_MODEL_MAX_RETRIES, 0),
    cacheMode,
    cacheDir: join(dataDir, 'model-cache'),
    structuredOutput: oneOf<StructuredOutputMode>(env, 'VERDICT_MODEL_STRUCTURED_OUTPUT', ['auto', 'json_schema', 'json_object', 'prompt'], 'auto'),
  };
}

/**
 * The chat model a block runs on: its own `model`, except that a missing model and Retab's
 * aliases mean the operator's `VERDICT_MODEL`. Null when that is needed but unset.
 */
export function resolveChatModel(config: ModelConfig, requested: unknown): string | null {
  if (typeof requested === 'string' && requested.trim() !== '' && !RETAB_MODEL_ALIASES.includes(requested.trim())) return requested.trim();
  return config.defaultModel;
}
