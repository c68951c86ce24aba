/**
 * A Map that forgets its least recently used entry once it holds `capacity` entries, so caches of
 * compiled regexes, schemas, paths and sandbox code stay bounded however many distinct tests a
 * server evaluates. A value that leaves the cache (forgotten, replaced, deleted, cleared) is handed
 * to `evicted`, for values that hold resources to release.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly evicted: (value: V) => void = () => {},
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size <= this.capacity) return;
    this.delete(this.#entries.keys().next().value as K);
  }

  delete(key: K): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.evicted(value);
  }

  clear(): void {
    for (const key of [...this.#entries.keys()]) this.delete(key);
  }
}
