/**
 * A Map that forgets its least recently used entry once it holds `capacity` entries, so caches of
 * compiled regexes, schemas and paths stay bounded however many distinct tests a server evaluates.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
