import { ConnectionError, errorFromResponse, TimeoutError, VerdictError } from './errors.js';
import { backoffMs, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | Date | null | undefined | ReadonlyArray<string | number | boolean | Date>;
export type Query = Record<string, QueryValue>;

/** Per-call options, accepted as the last argument of every method. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Time allowed for one attempt (connect, answer and body), in milliseconds. */
  timeoutMs?: number;
  maxRetries?: number;
}

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  query?: Query;
  body?: unknown;
  /** Safe to send again after a failure. Defaults to true for GET and DELETE. */
  idempotent?: boolean;
}

export interface TransportConfig {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  fetch: typeof fetch;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body as bytes, for a request that asked for them (it then has no `text`). */
  bytes?: Uint8Array;
}

type Outcome = { response: RawResponse } | { error: unknown };

function encodeQuery(query: Query = {}): string {
  const params = new URLSearchParams();
  const append = (key: string, value: string | number | boolean | Date) =>
    params.append(key, value instanceof Date ? value.toISOString() : String(value));
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) value.forEach((item) => append(key, item));
    else append(key, value as string | number | boolean | Date);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class Transport {
  constructor(private readonly config: TransportConfig) {}

  async request<T>(request: ApiRequest, options: RequestOptions = {}): Promise<T> {
    return this.settle<T>(await this.send(request, options, false));
  }

  /** A request whose successful answer is a file's bytes rather than JSON. */
  async requestBytes(request: ApiRequest, options: RequestOptions = {}): Promise<Uint8Array> {
    const outcome = await this.send(request, options, true);
    if ('response' in outcome && outcome.response.bytes !== undefined) return outcome.response.bytes;
    return this.settle<never>(outcome);
  }

  private async send(request: ApiRequest, options: RequestOptions, asBytes: boolean): Promise<Outcome> {
    const idempotent = request.idempotent ?? (request.method === 'GET' || request.method === 'DELETE');
    const maxRetries = idempotent ? (options.maxRetries ?? this.config.maxRetries) : 0;
    for (let attempt = 0; ; attempt += 1) {
      const outcome: Outcome = await this.attempt(request, options, asBytes).then(
        (response) => ({ response }),
        (error: unknown) => ({ error }),
      );
      const retryDelay = this.retryDelay(outcome, attempt, maxRetries);
      if (retryDelay === null) return outcome;
      await sleep(retryDelay, options.signal);
    }
  }

  /** How long to wait before trying again, or null when this outcome is final. */
  private retryDelay(outcome: Outcome, attempt: number, maxRetries: number): number | null {
    if (attempt >= maxRetries) return null;
    if ('error' in outcome) return outcome.error instanceof ConnectionError ? backoffMs(attempt) : null;
    if (!isRetryableStatus(outcome.response.status)) return null;
    const retryAfter = parseRetryAfter(outcome.response.headers.get('retry-after'));
    if (retryAfter === null) return backoffMs(attempt);
    return retryAfter <= MAX_RETRY_AFTER_MS ? retryAfter : null;
  }

  private settle<T>(outcome: Outcome): T {
    if ('error' in outcome) throw outcome.error;
    const { status, headers, text } = outcome.response;
    const requestId = headers.get('x-request-id');
    if (status < 200 || status >= 300) throw errorFromResponse(status, text, requestId);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new VerdictError('The server answered with a body that is not JSON.', { status, code: 'invalid_response', requestId, cause });
    }
  }

  private async attempt(request: ApiRequest, options: RequestOptions, asBytes: boolean): Promise<RawResponse> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const url = `${this.config.baseUrl}${request.path}${encodeQuery(request.query)}`;
    try {
      const response = await this.config.fetch(url, { method: request.method, headers: this.headers(request), body: jsonBody(request), signal });
      const succeeded = response.status >= 200 && response.status < 300;
      if (asBytes && succeeded) return { status: response.status, headers: response.headers, text: '', bytes: new Uint8Array(await response.arrayBuffer()) };
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) throw new TimeoutError(`No answer from ${this.config.baseUrl} within ${timeoutMs} ms.`, { code: 'timeout', cause });
      throw new ConnectionError(`Could not reach ${this.config.baseUrl}: ${describeCause(cause)}`, { code: 'connection_error', cause });
    }
  }

  private headers(request: ApiRequest): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Api-Key': this.config.apiKey,
      Authorization: `Bearer ${this.config.apiKey}`,
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    return headers;
  }
}

function jsonBody(request: ApiRequest): string | undefined {
  return request.body === undefined ? undefined : JSON.stringify(request.body);
}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}
