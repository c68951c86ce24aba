import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, oncePerObject, sha256Hex } from '@verdict/core';
import type { ModelCacheMode } from './config.js';
import { ModelError } from './errors.js';

const canonicalTextOnce = oncePerObject((value: object) => canonicalJson(value));

/** What a cache entry holds. The request itself is left out: with images in it, it can weigh megabytes. */
interface CacheEntry {
  model: string;
  response: unknown;
}

function cacheMiss(key: string, model: string): ModelError {
  return new ModelError(
    `No recorded model answer for this request to "${model}" (cache key ${key.slice(0, 16)}); record it first with VERDICT_MODEL_CACHE=readwrite against a model server.`,
    'model_cache_miss',
    { cache_key: key, model },
  );
}

/**
 * Opt-in record/replay of model answers, one JSON file per request under `dir`, named by
 * sha256 of the organization, the model and the request: an organization replays only the answers
 * recorded for its own calls (another tenant's identical request is a miss, so a hit tells it
 * nothing about other tenants). `readwrite` answers from the cache and records misses; `replay`
 * never reaches the server: a miss is a ModelError `model_cache_miss`.
 */
export class ModelResponseCache {
  constructor(
    readonly mode: ModelCacheMode,
    private readonly dir: string,
  ) {}

  /**
   * `organizationId` '' is a call made for no organization (the operator's). The request is named
   * by its JSON.stringify text, not its canonical JSON (which took most of a replayed call's time):
   * ModelClient builds the request's objects in a fixed key order, and passes the one object a
   * tenant wrote, the JSON Schema, as its canonical text (`canonicalText`).
   */
  static keyOf(organizationId: string, model: string, request: unknown): string {
    return sha256Hex(JSON.stringify([organizationId, model, request]));
  }

  /** canonicalJson(value), computed once per object: a block's schema is the same object for every test of a run. */
  static canonicalText(value: object): string {
    return canonicalTextOnce(value);
  }

  /**
   * The cached answer to `request`, or `compute()`'s answer (recorded in `readwrite` mode).
   * `cached` tells which one it was.
   */
  async through<T>(organizationId: string, model: string, request: unknown, compute: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
    if (this.mode === 'off') return { value: await compute(), cached: false };
    const key = ModelResponseCache.keyOf(organizationId, model, request);
    const hit = this.read(key);
    if (hit !== undefined) return { value: hit.response as T, cached: true };
    if (this.mode === 'replay') throw cacheMiss(key, model);
    const value = await compute();
    await this.write(key, { model, response: value });
    return { value, cached: false };
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /**
   * Read synchronously: an entry is one small local file (an answer is bounded by the output
   * limit), read from the page cache in microseconds, as the SQLite store beside it is; the
   * asynchronous read took four thread-pool round trips (open, stat, read, close) and was most of
   * a replayed test's main-thread time.
   */
  private read(key: string): CacheEntry | undefined {
    let text: string;
    try {
      text = readFileSync(this.path(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as CacheEntry;
    } catch {
      return undefined; // a torn or hand-edited entry is a miss, and readwrite mode overwrites it
    }
  }

  private async write(key: string, entry: CacheEntry): Promise<void> {
    const path = this.path(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    // Write then rename, so a concurrent reader never sees half an entry.
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, JSON.stringify(entry, null, 1));
    await rename(temporary, path);
  }
}
