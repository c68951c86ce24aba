import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ModelResponseCache } from './cache.js';
import { resolveChatModel, type ModelConfig, type StructuredOutputMode } from './config.js';
import { ModelError } from './errors.js';
import { parseJsonAnswer, readJsonAnswer, type AnswerSchemaCheck, type JsonAnswer } from './json-answer.js';
import { AdaptiveConcurrency, type CallOutcome } from './adaptive-concurrency.js';
import { DEFAULT_RETRY_POLICY, isThrottled, retryDelayMs, withRetries, type RetryPolicy } from './retry.js';
import type { SharedThrottle } from './shared-throttle.js';
import { addTokenUsage, NO_TOKENS, tokenUsageOf, type TokenUsage } from './usage.js';

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface ChatJsonRequest {
  model: string;
  messages: ChatMessage[];
  /** The answer must match it; also sent as the response format when the server supports that. */
  jsonSchema?: object;
  schemaName?: string;
  temperature?: number;
  /** Tells apart otherwise identical calls (consensus samples), so the cache records each one. */
  sample?: number;
  /** Whose call it is: checks of its answer share the sandbox threads fairly with that organization's other work. */
  organizationId?: string;
  signal: AbortSignal;
}

export interface ChatJsonResult {
  value: unknown;
  /** The model's text answer the value was read from. */
  raw: string;
  /** True when the answer came from the response cache (then `attempts` is 0). */
  cached: boolean;
  /** HTTP requests made, retries and the repair turn included. */
  attempts: number;
  /** Tokens the provider reported for the completions that answered (the repair turn included); none when cached. */
  usage: TokenUsage;
}

export interface EmbedRequest {
  model: string;
  texts: string[];
  /** Whose call it is: waiting calls are served round-robin across organizations. */
  organizationId?: string;
  signal: AbortSignal;
}

export interface EmbedResult {
  vectors: number[][];
  cached: boolean;
  attempts: number;
}

export interface ModelClientOptions {
  /** Overrides the backoff timings (tests make them short); `maxRetries` comes from the config. */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Largest answer read (VERDICT_MAX_OUTPUT_BYTES): a larger one is unusable, like a block output over the limit. */
  maxAnswerBytes?: number;
  /** Where answers are checked against their JSON Schema; by default on the calling thread. */
  checkSchema?: AnswerSchemaCheck;
  /** The other processes' refusals (Redis, in a distributed deployment): they all keep to one limit. */
  shared?: SharedThrottle | null;
}

interface Answer {
  value: unknown;
  raw: string;
  attempts: number;
  usage: TokenUsage;
}

interface Completion {
  text: string;
  attempts: number;
  usage: TokenUsage;
}

type ResponseFormatMode = Exclude<StructuredOutputMode, 'auto'>;
const AUTO_FORMATS: readonly ResponseFormatMode[] = ['json_schema', 'json_object', 'prompt'];

/**
 * One OpenAI-compatible model provider: the `openai` client with its own retries turned off, a
 * signal-aware retry loop, a concurrency limit that finds the provider's (AdaptiveConcurrency)
 * and the optional response cache. Create one per process and share it: the limit is per
 * instance, shared with other processes only through `options.shared`.
 */
export class ModelClient {
  private readonly openai: OpenAI | null;
  private readonly limiter: AdaptiveConcurrency;
  private readonly cache: ModelResponseCache;
  private readonly retryPolicy: RetryPolicy;
  private readonly maxAnswerBytes: number | undefined;
  private readonly checkSchema: AnswerSchemaCheck | undefined;
  /** Per model, the first response format its server accepted, so later calls skip refused ones. */
  private readonly acceptedFormat = new Map<string, ResponseFormatMode>();

  constructor(
    readonly config: ModelConfig,
    options: ModelClientOptions = {},
  ) {
    this.openai =
      config.baseURL === null ? null : new OpenAI({ baseURL: config.baseURL, apiKey: config.apiKey, maxRetries: 0, timeout: config.timeoutMs });
    this.limiter = new AdaptiveConcurrency({ ceiling: config.concurrency, shared: options.shared ?? null });
    this.cache = new ModelResponseCache(config.cacheMode, config.cacheDir);
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry, maxRetries: config.maxRetries };
    this.maxAnswerBytes = options.maxAnswerBytes;
    this.checkSchema = options.checkSchema;
  }

  /** The chat model for a block's `model` setting (aliases and absence mean `VERDICT_MODEL`). */
  chatModel(requested: unknown): string {
    const model = resolveChatModel(this.config, requested);
    if (model === null) {
      throw new ModelError('This block names no model (or a retab-* alias) and VERDICT_MODEL is not set; set VERDICT_MODEL or the block\'s model.', 'provider_not_configured');
    }
    return model;
  }

  /** Model calls allowed in flight right now (found by the controller, at most VERDICT_MODEL_CONCURRENCY). */
  get concurrencyLimit(): number {
    return this.limiter.limit;
  }

  embeddingModel(): string {
    if (this.config.embeddingModel === null) {
      throw new ModelError('Embedding similarity needs VERDICT_EMBEDDING_MODEL, and it is not set.', 'provider_not_configured');
    }
    return this.config.embeddingModel;
  }

  /**
   * Asks for a JSON answer, validated against `jsonSchema` when given. An answer that is not valid
   * JSON or misses the schema gets one repair turn; still wrong → ModelError `invalid_model_output`.
   */
  async chatJson(request: ChatJsonRequest): Promise<ChatJsonResult> {
    const { model, messages, jsonSchema, temperature, sample, organizationId = '' } = request;
    const schemaText = jsonSchema === undefined ? undefined : ModelResponseCache.canonicalText(jsonSchema);
    const cacheKey = { kind: 'chat_json', messages, json_schema: schemaText, temperature, sample };
    const { value, cached } = await this.cache.through(organizationId, model, cacheKey, () => this.answerJson(request));
    return { value: value.value, raw: value.raw, cached, attempts: cached ? 0 : value.attempts, usage: cached ? NO_TOKENS : value.usage };
  }

  async embed({ model, texts, organizationId = '', signal }: EmbedRequest): Promise<EmbedResult> {
    if (texts.length === 0) return { vectors: [], cached: false, attempts: 0 };
    const { value, cached } = await this.cache.through(organizationId, model, { kind: 'embeddings', texts }, async () => {
      const openai = this.requireServer();
      const { value: response, attempts } = await this.request(
        (signal) => openai.embeddings.create({ model, input: texts, encoding_format: 'float' }, { signal }),
        signal,
        organizationId,
      );
      return { vectors: embeddingVectors(response, texts.length), attempts };
    });
    return { vectors: value.vectors, cached, attempts: cached ? 0 : value.attempts };
  }

  private async answerJson(request: ChatJsonRequest): Promise<Answer> {
    const first = await this.complete(request.messages, request);
    const firstAnswer = await this.readAnswer(first.text, request);
    if (firstAnswer.ok) return { value: firstAnswer.value, raw: first.text, attempts: first.attempts, usage: first.usage };
    const repairMessages: ChatMessage[] = [
      ...request.messages,
      { role: 'assistant', content: first.text },
      { role: 'user', content: `That answer cannot be used: ${firstAnswer.problem}. Answer again with only the corrected JSON value.` },
    ];
    const second = await this.complete(repairMessages, request);
    const secondAnswer = await this.readAnswer(second.text, request);
    const attempts = first.attempts + second.attempts;
    if (secondAnswer.ok) return { value: secondAnswer.value, raw: second.text, attempts, usage: addTokenUsage(first.usage, second.usage) };
    throw new ModelError(`The model's answer was unusable even after a repair turn: ${secondAnswer.problem}.`, 'invalid_model_output', {
      model: request.model,
      attempts,
      answer: second.text.slice(0, 2000),
    });
  }

  private async readAnswer(text: string, request: ChatJsonRequest): Promise<JsonAnswer> {
    const schema = request.jsonSchema;
    if (this.checkSchema === undefined || schema === undefined) return readJsonAnswer(text, schema, this.maxAnswerBytes);
    const parsed = parseJsonAnswer(text, this.maxAnswerBytes);
    if (!parsed.ok) return parsed;
    const problem = await this.checkSchema(JSON.stringify(parsed.value), schema, request.organizationId, request.signal);
    return problem === null ? parsed : { ok: false, problem };
  }

  /** One chat completion, walking down the response formats the server refuses (with a 400). */
  private async complete(
    messages: ChatMessage[],
    request: ChatJsonRequest,
    formats: readonly ResponseFormatMode[] = this.formatsToTry(request),
  ): Promise<Completion> {
    const [format, ...fallbacks] = formats;
    try {
      const result = await this.completeWith(format, messages, request);
      this.acceptedFormat.set(request.model, format);
      return result;
    } catch (error) {
      const refused = error instanceof ModelError && error.code === 'provider_error' && error.details.status === 400;
      if (!refused || fallbacks.length === 0) throw error;
      const next = await this.complete(messages, request, fallbacks);
      return { ...next, attempts: next.attempts + Number(error.details.attempts) };
    }
  }

  private formatsToTry(request: ChatJsonRequest): readonly ResponseFormatMode[] {
    const mode = this.config.structuredOutput;
    if (mode !== 'auto') return [mode === 'json_schema' && request.jsonSchema === undefined ? 'json_object' : mode];
    const usable = request.jsonSchema === undefined ? AUTO_FORMATS.slice(1) : AUTO_FORMATS;
    const accepted = this.acceptedFormat.get(request.model);
    return accepted !== undefined && usable.includes(accepted) ? usable.slice(usable.indexOf(accepted)) : usable;
  }

  private async completeWith(format: ResponseFormatMode, messages: ChatMessage[], request: ChatJsonRequest): Promise<Completion> {
    const openai = this.requireServer();
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: request.model,
      messages: withFormatInstructions(format, messages, request.jsonSchema) as ChatCompletionMessageParam[],
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...responseFormat(format, request),
    };
    const { value: completion, attempts } = await this.request((signal) => openai.chat.completions.create(body, { signal }), request.signal, request.organizationId);
    return { text: completion.choices[0]?.message?.content ?? '', attempts, usage: tokenUsageOf(completion.usage) };
  }

  /**
   * One HTTP request under the concurrency limit, retried; the limit is held only while a request
   * is in flight. A refusal for rate (429) is not a failure of the call: it waits for the pause the
   * server asked for and tries again, without spending a retry, until VERDICT_MODEL_TIMEOUT_MS has
   * passed in refusals (then it counts as one failed attempt).
   */
  private async request<T>(send: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, organizationId = ''): Promise<{ value: T; attempts: number }> {
    let refused = 0;
    const throttledUntil = Date.now() + this.config.timeoutMs;
    const attempt = async (): Promise<T> => {
      for (;;) {
        const permit = await this.limiter.acquire(organizationId, signal);
        let outcome: CallOutcome = { kind: 'failed' };
        try {
          const value = await send(signal);
          outcome = { kind: 'answered' };
          return value;
        } catch (error) {
          if (signal.aborted || !isThrottled(error)) throw error;
          outcome = { kind: 'throttled', pauseMs: retryDelayMs(error, refused, this.retryPolicy) ?? 0 };
          if (Date.now() >= throttledUntil) throw error;
          refused++;
        } finally {
          permit.release(outcome);
        }
      }
    };
    const { value, attempts } = await withRetries(attempt, this.retryPolicy, signal);
    return { value, attempts: attempts + refused };
  }

  private requireServer(): OpenAI {
    if (this.openai === null) {
      throw new ModelError('VERDICT_MODEL_BASE_URL is not set: only answers recorded in the model cache can be replayed.', 'provider_not_configured');
    }
    return this.openai;
  }
}

function schemaName(name: string | undefined): string {
  const cleaned = (name ?? 'answer').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return cleaned === '' ? 'answer' : cleaned;
}

function responseFormat(format: ResponseFormatMode, request: ChatJsonRequest): Pick<ChatCompletionCreateParamsNonStreaming, 'response_format'> {
  if (format === 'json_schema' && request.jsonSchema !== undefined) {
    // strict: false because user schemas rarely meet OpenAI's strict subset; our own validation does the enforcing.
    const jsonSchema = { name: schemaName(request.schemaName), schema: request.jsonSchema as Record<string, unknown>, strict: false };
    return { response_format: { type: 'json_schema', json_schema: jsonSchema } };
  }
  return format === 'json_object' ? { response_format: { type: 'json_object' } } : {};
}

/** Without a schema response format, the schema travels in the prompt (JSON mode also requires the word "JSON" there). */
function withFormatInstructions(format: ResponseFormatMode, messages: ChatMessage[], jsonSchema: object | undefined): ChatMessage[] {
  if (format === 'json_schema' && jsonSchema !== undefined) return messages;
  const instruction =
    jsonSchema === undefined
      ? 'Answer with a single JSON value and nothing else.'
      : `Answer with a single JSON value and nothing else. It must match this JSON Schema:\n${JSON.stringify(jsonSchema)}`;
  return [{ role: 'system', content: instruction }, ...messages];
}

function embeddingVectors(response: OpenAI.Embeddings.CreateEmbeddingResponse, expected: number): number[][] {
  const rows = [...(response.data ?? [])].sort((a, b) => a.index - b.index);
  const vectors = rows.map((row) => row.embedding);
  const wellFormed = vectors.length === expected && vectors.every((v) => Array.isArray(v) && v.length > 0 && v.every(Number.isFinite));
  if (!wellFormed) {
    throw new ModelError(`The embeddings answer held ${vectors.length} usable vectors for ${expected} texts.`, 'provider_error', { expected });
  }
  return vectors;
}
