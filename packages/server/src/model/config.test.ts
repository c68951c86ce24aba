import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelConfigFromEnv } from '../config.js';
import { resolveChatModel } from './config.js';

test('no base URL means no provider', () => {
  assert.equal(modelConfigFromEnv({}, '/data'), null);
  assert.equal(modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: '  ', VERDICT_MODEL: 'm' }, '/data'), null);
});

test('defaults', () => {
  assert.deepEqual(modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: 'http://127.0.0.1:8000/v1' }, '/data'), {
    baseURL: 'http://127.0.0.1:8000/v1',
    apiKey: 'not-needed',
    defaultModel: null,
    embeddingModel: null,
    concurrency: 256,
    timeoutMs: 120_000,
    maxRetries: 4,
    cacheMode: 'off',
    cacheDir: '/data/model-cache',
    structuredOutput: 'auto',
  });
});

test('replay mode works without a base URL', () => {
  const config = modelConfigFromEnv({ VERDICT_MODEL_CACHE: 'replay', VERDICT_MODEL: 'm' }, '/d');
  assert.equal(config?.baseURL, null);
  assert.equal(config?.cacheMode, 'replay');
});

test('resolveChatModel maps aliases and absence to VERDICT_MODEL', () => {
  const config = modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: 'http://x/v1', VERDICT_MODEL: 'llama3' }, '/d')!;
  assert.equal(resolveChatModel(config, undefined), 'llama3');
  assert.equal(resolveChatModel(config, ''), 'llama3');
  assert.equal(resolveChatModel(config, 'retab-micro'), 'llama3');
  assert.equal(resolveChatModel(config, 'qwen2.5'), 'qwen2.5');
  assert.equal(resolveChatModel({ ...config, defaultModel: null }, 'retab-small'), null);
});
