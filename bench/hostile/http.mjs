// HTTP for bench/hostile: every request has a deadline, so a stalled or dead server shows as
// "timed out after X s" or a connection error instead of a hang. node:http with keep-alive agents,
// like bench/throughput/harness.mjs's client, since the client shares the two cores with the server.
import http from 'node:http';

const MAX_KEPT_BYTES = 16 * 1024 * 1024;

export class TimedOut extends Error {
  constructor(method, path, timeoutMs) {
    super(`${method} ${path}: timed out after ${timeoutMs / 1000} s`);
    this.timeoutMs = timeoutMs;
  }
}

/** A request cut short because its sender stopped (the end of a phase), not because the server failed. */
export class Abandoned extends Error {
  constructor(method, path) {
    super(`${method} ${path}: abandoned at the end of the phase`);
  }
}

export class HttpStatusError extends Error {
  constructor(method, path, status, text) {
    super(`${method} ${path}: ${status} ${text.slice(0, 300)}`);
    this.status = status;
  }
}

/**
 * `send({ method, path, headers, body, timeoutMs, signal })` to `baseUrl` → `{ status, headers,
 * text, bytes }` whatever the status; rejects with TimedOut past the deadline, Abandoned when
 * `signal` aborts first, or with the socket's error. `body` is sent as is when it is a string, as
 * JSON otherwise. An answer over MAX_KEPT_BYTES is counted but not kept (`text` is empty).
 */
export function httpSender(baseUrl, { maxSockets = Infinity } = {}) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const send = ({ method = 'GET', path, headers = {}, body, timeoutMs, signal }) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
      const contentHeaders = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      let cutShort = null;
      const cut = (reason) => {
        cutShort = reason;
        request.destroy(reason);
      };
      const request = http.request({ agent, hostname, port, method, path, headers: { ...contentHeaders, ...headers } }, (response) => {
        const chunks = [];
        let bytes = 0;
        response.on('data', (chunk) => {
          bytes += chunk.length;
          if (bytes <= MAX_KEPT_BYTES) chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(timer);
          const text = bytes <= MAX_KEPT_BYTES ? Buffer.concat(chunks).toString('utf8') : '';
          resolve({ status: response.statusCode, headers: response.headers, text, bytes });
        });
      });
      const timer = setTimeout(() => cut(new TimedOut(method, path, timeoutMs)), timeoutMs);
      const abandon = () => cut(new Abandoned(method, path));
      if (signal?.aborted) abandon();
      signal?.addEventListener('abort', abandon, { once: true });
      request.on('close', () => signal?.removeEventListener('abort', abandon));
      function fail(error) {
        clearTimeout(timer);
        reject(cutShort ?? error);
      }
      request.on('error', fail);
      request.end(payload);
    });
  send.close = () => agent.destroy();
  return send;
}

/** An API client of one organization's key: `call(method, path, body, timeoutMs)` → parsed JSON; throws on a status of 300 or more. */
export function apiClient(send, apiKey, defaultTimeoutMs) {
  return async function call(method, path, body, timeoutMs = defaultTimeoutMs) {
    const answer = await send({ method, path, body, timeoutMs, headers: { 'api-key': apiKey } });
    if (answer.status >= 300) throw new HttpStatusError(method, path, answer.status, answer.text);
    return answer.text ? JSON.parse(answer.text) : undefined;
  };
}

/** `name=value` pairs of a response's Set-Cookie headers, ready for a Cookie header. */
export function cookiesOf(headers) {
  return (headers['set-cookie'] ?? []).map((cookie) => cookie.split(';', 1)[0]).join('; ');
}

/** The hidden fields of an HTML form (e.g. a CSRF token), so that posts carry what the page would. */
export function hiddenFields(html) {
  const fields = {};
  for (const [input] of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input)?.[1];
    if (name) fields[name] = /value="([^"]*)"/.exec(input)?.[1] ?? '';
  }
  return fields;
}

/** Counts answers by status (`401`, `429`, …), time-outs and connection errors. */
export class StatusTally {
  counts = new Map();

  add(label) {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  /** Sends through `send` and tallies how it ended. */
  async record(send, request) {
    try {
      const answer = await send(request);
      this.add(String(answer.status));
      return answer;
    } catch (error) {
      this.add(error instanceof TimedOut ? 'timed out' : error instanceof Abandoned ? 'abandoned at the end' : `error ${error.code ?? error.message}`);
      return null;
    }
  }

  get total() {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  toJSON() {
    return Object.fromEntries(this.counts);
  }
}
