/** The most recently used `capacity` values by key; a value that leaves the cache is handed to `evicted`. */
export class BoundedCache<Value> {
  readonly #entries = new Map<string, Value>();

  constructor(
    readonly capacity: number,
    private readonly evicted: (value: Value) => void,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Value | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: Value): void {
    this.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size <= this.capacity) return;
    const [oldestKey] = this.#entries.keys();
    this.delete(oldestKey!);
  }

  delete(key: string): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.evicted(value);
  }

  clear(): void {
    for (const key of [...this.#entries.keys()]) this.delete(key);
  }
}
