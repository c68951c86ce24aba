import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModelConfig, ModelConfigError, resolveChatModel } from './config.js';

test('no base URL means no provider', () => {
  assert.equal(loadModelConfig({}, '/data'), null);
  assert.equal(loadModelConfig({ VERDICT_MODEL_BASE_URL: '  ', VERDICT_MODEL: 'm' }, '/data'), null);
});

test('defaults', () => {
  assert.deepEqual(loadModelConfig({ VERDICT_MODEL_BASE_URL: 'http://127.0.0.1:8000/v1' }, '/data'), {
    baseURL: 'http://127.0.0.1:8000/v1',
    apiKey: 'not-needed',
    defaultModel: null,
    embeddingModel: null,
    concurrency: 8,
    timeoutMs: 120_000,
    maxRetries: 4,
    cacheMode: 'off',
    cacheDir: '/data/model-cache',
    structuredOutput: 'auto',
  });
});

test('reads every variable', () => {
  const config = loadModelConfig(
    {
      VERDICT_MODEL_BASE_URL: 'https://models.example/v1',
      VERDICT_MODEL_API_KEY: 'sk-1',
      VERDICT_MODEL: 'llama3',
      VERDICT_EMBEDDING_MODEL: 'nomic',
      VERDICT_MODEL_CONCURRENCY: '3',
      VERDICT_MODEL_TIMEOUT_MS: '5000',
      VERDICT_MODEL_MAX_RETRIES: '0',
      VERDICT_MODEL_CACHE: 'ReadWrite',
      VERDICT_MODEL_STRUCTURED_OUTPUT: 'json_object',
    },
    '/d',
  );
  assert.deepEqual(
    { ...config },
    {
      baseURL: 'https://models.example/v1',
      apiKey: 'sk-1',
      defaultModel: 'llama3',
      embeddingModel: 'nomic',
      concurrency: 3,
      timeoutMs: 5000,
      maxRetries: 0,
      cacheMode: 'readwrite',
      cacheDir: '/d/model-cache',
      structuredOutput: 'json_object',
    },
  );
});

test('replay mode works without a base URL', () => {
  const config = loadModelConfig({ VERDICT_MODEL_CACHE: 'replay', VERDICT_MODEL: 'm' }, '/d');
  assert.equal(config?.baseURL, null);
  assert.equal(config?.cacheMode, 'replay');
});

test('refuses unusable values with a message naming the variable', () => {
  const base = { VERDICT_MODEL_BASE_URL: 'http://x/v1' };
  assert.throws(() => loadModelConfig({ ...base, VERDICT_MODEL_CONCURRENCY: '0' }, '/d'), ModelConfigError);
  assert.throws(() => loadModelConfig({ ...base, VERDICT_MODEL_TIMEOUT_MS: '1.5' }, '/d'), /VERDICT_MODEL_TIMEOUT_MS/);
  assert.throws(() => loadModelConfig({ ...base, VERDICT_MODEL_CACHE: 'on' }, '/d'), /off, readwrite, replay/);
  assert.throws(() => loadModelConfig({ ...base, VERDICT_MODEL_STRUCTURED_OUTPUT: 'xml' }, '/d'), /VERDICT_MODEL_STRUCTURED_OUTPUT/);
  assert.throws(() => loadModelConfig({ VERDICT_MODEL_BASE_URL: 'localhost:8000' }, '/d'), /http\(s\) URL/);
});

test('resolveChatModel maps aliases and absence to VERDICT_MODEL', () => {
  const config = loadModelConfig({ VERDICT_MODEL_BASE_URL: 'http://x/v1', VERDICT_MODEL: 'llama3' }, '/d')!;
  assert.equal(resolveChatModel(config, undefined), 'llama3');
  assert.equal(resolveChatModel(config, ''), 'llama3');
  assert.equal(resolveChatModel(config, 'retab-micro'), 'llama3');
  assert.equal(resolveChatModel(config, 'qwen2.5'), 'qwen2.5');
  assert.equal(resolveChatModel({ ...config, defaultModel: null }, 'retab-small'), null);
});
