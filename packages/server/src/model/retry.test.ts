import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APIConnectionError, APIError } from 'openai';
import { DEFAULT_RETRY_POLICY, requestedRetryDelayMs, retryDelayMs, withRetries } from './retry.js';

const policy = { ...DEFAULT_RETRY_POLICY, random: () => 0.5 };

function apiError(status: number, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { message: `status ${status}` }, undefined, new Headers(headers));
}

describe('requestedRetryDelayMs', () => {
  test('reads Retry-After in seconds, as an HTTP date, and retry-after-ms', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': '2' }), now), 2000);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': '0.5' }), now), 500);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'Sat, 28 Nov 2026 12:00:03 GMT' }), now), 3000);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'Sat, 28 Nov 2026 11:00:00 GMT' }), now), 0);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
  });

  test('ignores absent, negative and unreadable values', () => {
    assert.equal(requestedRetryDelayMs(undefined), null);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': '-1' })), null);
    assert.equal(requestedRetryDelayMs(new Headers({ 'retry-after': 'soon' })), null);
  });
});

describe('retryDelayMs', () => {
  test('retries 429, 408, 409, 5xx and connection errors; not other 4xx', () => {
    for (const status of [429, 408, 409, 500, 502, 503]) assert.notEqual(retryDelayMs(apiError(status), 0, policy), null, `status ${status}`);
    assert.notEqual(retryDelayMs(new APIConnectionError({ message: 'ECONNRESET' }), 0, policy), null);
    for (const status of [400, 401, 403, 404, 422]) assert.equal(retryDelayMs(apiError(status), 0, policy), null, `status ${status}`);
    assert.equal(retryDelayMs(new TypeError('bug'), 0, policy), null);
  });

  test('backs off exponentially with jitter, capped', () => {
    const delays = [0, 1, 2, 10].map((retry) => retryDelayMs(apiError(503), retry, policy));
    assert.deepEqual(delays, [375, 750, 1500, 15_000]);
    assert.equal(retryDelayMs(apiError(503), 0, { ...policy, random: () => 0 }), 250);
  });

  test('honours Retry-After up to the cap', () => {
    assert.equal(retryDelayMs(apiError(429, { 'retry-after': '3' }), 0, policy), 3000);
    assert.equal(retryDelayMs(apiError(429, { 'retry-after': '3600' }), 0, policy), 60_000);
  });
});

describe('withRetries', () => {
  const fast = { ...policy, baseDelayMs: 1, maxRetries: 3 };

  test('returns the first success and the number of attempts', async () => {
    let calls = 0;
    const result = await withRetries(async () => (++calls < 3 ? Promise.reject(apiError(500)) : 'ok'), fast, new AbortController().signal);
    assert.deepEqual(result, { value: 'ok', attempts: 3 });
  });

  test('rethrows the abort reason instead of a provider error when the signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const call = withRetries(async () => {
      controller.abort(reason);
      throw apiError(500);
    }, fast, controller.signal);
    await assert.rejects(call, (error) => error === reason);
  });
});
