import { VerdictError } from './errors.js';
import { Files } from './resources/files.js';
import { Workflows } from './resources/workflows.js';
import { Transport } from './transport.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

export interface VerdictOptions {
  /** Falls back to VERDICT_API_KEY, then RETAB_API_KEY. */
  apiKey?: string;
  /** Falls back to VERDICT_BASE_URL, then RETAB_API_BASE_URL, then http://127.0.0.1:8787. */
  baseUrl?: string;
  /** Time allowed for one attempt of a request (default 60 000 ms). */
  timeoutMs?: number;
  /** Retries of idempotent requests after 429, 5xx and network errors (default 2). */
  maxRetries?: number;
  fetch?: typeof fetch;
}

/**
 * Paths carry `/v1` themselves: a base URL given with a version suffix is accepted without it.
 * A URL without its scheme (`localhost:8787`) is refused here, where the mistake is, rather than
 * surfacing later as a connection error.
 */
function normalizeBaseUrl(baseUrl: string): string {
  const text = baseUrl.trim().replace(/\/+$/, '').replace(/\/v\d+$/, '');
  const invalid = (why: string) => new VerdictError(`Base URL ${JSON.stringify(baseUrl)} ${why}`, { code: 'invalid_base_url' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`is not a URL: write it whole, with its scheme, e.g. http://${text || '127.0.0.1:8787'}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`has no http:// or https:// scheme: write http://${text}.`);
  return text;
}

function environment(): Record<string, string | undefined> {
  return typeof process === 'undefined' ? {} : process.env;
}

const firstSet = (...values: Array<string | undefined>): string | undefined => values.find((value) => value !== undefined && value.trim() !== '');

export class Verdict {
  readonly workflows: Workflows;
  readonly files: Files;
  readonly baseUrl: string;

  constructor(options: VerdictOptions = {}) {
    const env = environment();
    const apiKey = firstSet(options.apiKey, env.VERDICT_API_KEY, env.RETAB_API_KEY);
    if (apiKey === undefined) {
      throw new VerdictError('No API key: pass `apiKey` or set VERDICT_API_KEY (create one with `verdict keys create`).', { code: 'missing_api_key' });
    }
    this.baseUrl = normalizeBaseUrl(firstSet(options.baseUrl, env.VERDICT_BASE_URL, env.RETAB_API_BASE_URL) ?? DEFAULT_BASE_URL);
    const transport = new Transport({
      apiKey,
      baseUrl: this.baseUrl,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    });
    this.workflows = new Workflows(transport);
    this.files = new Files(transport);
  }
}
