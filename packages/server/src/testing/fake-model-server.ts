/**
 * A small OpenAI-compatible server on 127.0.0.1 for tests: `/v1/chat/completions` and
 * `/v1/embeddings`, scriptable per test, recording every request and every connection, so that
 * the real `openai` client (and its retries, timeouts and aborts) can be exercised offline.
 *
 *   const server = await startFakeModelServer({ chat: answerJson({ total: 12 }) });
 *   // VERDICT_MODEL_BASE_URL = server.baseURL
 *   await server.close();
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (null when it was not JSON). */
  body: any;
  /** 0-based position among the requests to the same path. */
  index: number;
}

/** What the server does with one request. */
export type FakeReply =
  /** A chat completion whose message content is this text (JSON.stringify it for a JSON answer). */
  | { content: string; delayMs?: number; usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } }
  /** Any status, JSON body and headers (errors, rate limits). */
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Never answer; the connection stays open until the client closes it. */
  | { hang: true };

export type ChatHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;
export type EmbeddingsHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeModelServerOptions {
  chat?: ChatHandler;
  embeddings?: EmbeddingsHandler;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>/v1`: what VERDICT_MODEL_BASE_URL should be. */
  baseURL: string;
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  setChatHandler(handler: ChatHandler): void;
  setEmbeddingsHandler(handler: EmbeddingsHandler): void;
  /** TCP connections open right now. */
  openConnections(): number;
  /** The most requests that were ever being handled at the same moment. */
  peakConcurrentRequests(): number;
  /** Resolves when the server has received `count` hung requests in total. */
  hungRequestsReceived(count?: number): Promise<void>;
  /** Resolves when the connection of the `n`-th hung request (1-based, default the first) has been closed by the client. */
  hungRequestClosed(n?: number): Promise<void>;
  close(): Promise<void>;
}

const ANSWER_CHAT: ChatHandler = () => ({ content: '{}' });

export async function startFakeModelServer(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  let chatHandler = options.chat ?? ANSWER_CHAT;
  let embeddingsHandler = options.embeddings ?? textEmbeddings;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const hung: Array<{ closed: Promise<void> }> = [];
  const hungWaiters: Array<{ count: number; resolve: () => void }> = [];
  let inFlight = 0;
  let peak = 0;

  function noteHung(request: IncomingMessage): void {
    hung.push({ closed: new Promise((resolve) => request.socket.once('close', () => resolve())) });
    for (const waiter of hungWaiters.filter((w) => hung.length >= w.count)) {
      hungWaiters.splice(hungWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const recorded: RecordedRequest = {
      path,
      headers: request.headers,
      body: parseJson(await readBody(request)),
      index: requests.filter((r) => r.path === path).length,
    };
    requests.push(recorded);
    const handler = path.endsWith('/chat/completions') ? chatHandler : path.endsWith('/embeddings') ? embeddingsHandler : null;
    if (handler === null) return send(response, { status: 404, body: { error: { message: `No route ${path}` } } }, recorded);
    const reply = await handler(recorded);
    if ('hang' in reply) return noteHung(request);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    send(response, reply, recorded);
  }

  const server = createServer((request, response) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    response.once('close', () => inFlight--);
    handle(request, response).catch((error: Error) => send(response, { status: 500, body: { error: { message: error.message } } }, null));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions')),
    setChatHandler: (handler) => void (chatHandler = handler),
    setEmbeddingsHandler: (handler) => void (embeddingsHandler = handler),
    openConnections: () => sockets.size,
    peakConcurrentRequests: () => peak,
    hungRequestsReceived: (count = 1) =>
      hung.length >= count ? Promise.resolve() : new Promise((resolve) => hungWaiters.push({ count, resolve })),
    hungRequestClosed: async (n = 1) => {
      await new Promise<void>((resolve) => (hung.length >= n ? resolve() : hungWaiters.push({ count: n, resolve })));
      await hung[n - 1].closed;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function send(response: ServerResponse, reply: Exclude<FakeReply, { hang: true }>, request: RecordedRequest | null): void {
  if (response.headersSent) return;
  const [status, body, headers] =
    'content' in reply ? [200, chatCompletion(reply.content, request, reply.usage), {}] : [reply.status, reply.body ?? {}, reply.headers ?? {}];
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function chatCompletion(content: string, request: RecordedRequest | null, usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }) {
  return {
    id: `chatcmpl-fake-${request?.index ?? 0}`,
    object: 'chat.completion',
    created: 0,
    model: request?.body?.model ?? 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  };
}

// ---------------------------------------------------------------------------------------------
// Scripted behaviours.

/** Always answers this value as JSON. */
export function answerJson(value: unknown): ChatHandler {
  return () => ({ content: JSON.stringify(value) });
}

/** Call i gets handlers[i]; calls past the end get the last one. */
export function sequence(...handlers: ChatHandler[]): ChatHandler {
  let calls = 0;
  return (request) => handlers[Math.min(calls++, handlers.length - 1)](request);
}

/** Answers text that is not JSON first, then `value`. */
export function malformedThen(value: unknown): ChatHandler {
  return sequence(() => ({ content: '{"total": 12,, oops' }), answerJson(value));
}

/** Refuses `response_format: json_schema` with a 400 (like a server without structured output), else answers `value`. */
export function rejectJsonSchema(value: unknown): ChatHandler {
  return (request) =>
    request.body?.response_format?.type === 'json_schema'
      ? { status: 400, body: { error: { message: "response_format type 'json_schema' is not supported", type: 'invalid_request_error' } } }
      : { content: JSON.stringify(value) };
}

/** Answers 429 with `Retry-After: <seconds>` `times` times, then `value`. */
export function rateLimitedThen(value: unknown, times: number, retryAfterSeconds = 1): ChatHandler {
  const limited: ChatHandler = () => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
  });
  return sequence(...Array<ChatHandler>(times).fill(limited), answerJson(value));
}

/** What a provider with a rate limit saw: every request's arrival (ms, performance.now()), admitted or refused. */
export interface RateLimitLog {
  admitted: Array<{ at: number; model: string }>;
  refused: Array<{ at: number; model: string; retryAfterMs: number }>;
}

/**
 * A provider's rate limit: at most `perSecond` requests admitted in any second (a sliding window;
 * refused ones do not count), each answered `value` after `latencyMs`; beyond, an immediate 429
 * with `retry-after-ms` (as OpenAI sends it) and `Retry-After` in whole seconds, both saying when
 * the window will admit a request again. `log` records every arrival.
 */
export function rateLimitedProvider(value: unknown, { perSecond, latencyMs }: { perSecond: number; latencyMs: number }): ChatHandler & { log: RateLimitLog } {
  const log: RateLimitLog = { admitted: [], refused: [] };
  const window: number[] = [];
  const handler: ChatHandler = (request) => {
    const now = performance.now();
    const model = String(request.body?.model ?? '');
    while (window.length > 0 && window[0] <= now - 1000) window.shift();
    if (window.length >= perSecond) {
      const retryAfterMs = Math.ceil(window[0] + 1000 - now);
      log.refused.push({ at: now, model, retryAfterMs });
      return {
        status: 429,
        headers: { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.ceil(retryAfterMs / 1000)) },
        body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
      };
    }
    window.push(now);
    log.admitted.push({ at: now, model });
    return { content: JSON.stringify(value), delayMs: latencyMs };
  };
  return Object.assign(handler, { log });
}

/** Answers `status` (a 5xx) once, then `value`. */
export function failOnceThen(value: unknown, status = 500): ChatHandler {
  return sequence(() => ({ status, body: { error: { message: 'The server had an error' } } }), answerJson(value));
}

/** Never answers. */
export function hang(): ChatHandler {
  return () => ({ hang: true });
}

// ---------------------------------------------------------------------------------------------
// Deterministic embeddings.

export const FAKE_EMBEDDING_DIMENSIONS = 64;

/**
 * A bag-of-words vector: each lower-cased word adds a hash-chosen ±1 to a few dimensions. Equal
 * texts get equal vectors (cosine 1), texts sharing words get similar ones, unrelated texts
 * nearly orthogonal ones.
 */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(FAKE_EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(word).digest();
    for (let i = 0; i < 4; i++) vector[digest[i] % FAKE_EMBEDDING_DIMENSIONS] += digest[i + 4] & 1 ? 1 : -1;
  }
  return vector;
}

/** The default embeddings behaviour: `fakeEmbedding` of each input text. */
export const textEmbeddings: EmbeddingsHandler = ({ body }) => {
  const input: unknown = body?.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : [];
  const data = texts.map((text, index) => {
    const vector = fakeEmbedding(text);
    const embedding = body?.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  return { status: 200, body: { object: 'list', data, model: body?.model ?? 'fake', usage: { prompt_tokens: 1, total_tokens: 1 } } };
};
