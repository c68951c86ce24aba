/**
 * Which template processes the zygote keeps (zygote.py: one per organization and code version,
 * holding that block's compiled code and models, forking a child per test). Node decides, the
 * zygote obeys: each key gets a number on first use; a number is retired (its process killed) when
 * it has been idle for `idleMs`, or when a bound is passed. Bounds: `perTenant` templates per
 * organization (its own least recently used idle one goes first), and `total` in all, where the
 * one to go is the least recently used idle template of the organization holding the most, so one
 * organization that runs many blocks evicts its own templates, not everyone's. A template that is
 * running tests is never retired: a bound may be passed while every candidate is busy, and is
 * restored when they finish.
 */

export interface TemplateBounds {
  total: number;
  perTenant: number;
  idleMs: number;
}

/** A template as Node knows it: its number, its definition (sent with each test), its tests in flight. */
export interface TemplateEntry {
  readonly number: number;
  readonly key: string;
  readonly tenant: string;
  readonly definition: Buffer;
  running: number;
  lastUsed: number;
}

export class TemplateRegistry {
  readonly #bounds: TemplateBounds;
  readonly #retire: (number: number) => void;
  readonly #byKey = new Map<string, TemplateEntry>();
  readonly #perTenant = new Map<string, Set<TemplateEntry>>();
  #nextNumber = 1;
  #retired = 0;

  constructor(bounds: TemplateBounds, retire: (number: number) => void) {
    this.#bounds = bounds;
    this.#retire = retire;
  }

  /** The template for `key` (an organization's block: its code and schemas), made on first use; `definition` is asked for then. */
  acquire(tenant: string, key: string, definition: () => Buffer, now = performance.now()): TemplateEntry {
    const mapKey = `${tenant}\u0000${key}`;
    let entry = this.#byKey.get(mapKey);
    if (entry === undefined) {
      entry = { number: this.#nextNumber++, key: mapKey, tenant, definition: definition(), running: 0, lastUsed: now };
      this.#byKey.set(mapKey, entry);
      let own = this.#perTenant.get(tenant);
      if (own === undefined) this.#perTenant.set(tenant, (own = new Set()));
      own.add(entry);
    }
    entry.running++;
    entry.lastUsed = now;
    this.#trim();
    return entry;
  }

  /** One test of `entry` finished. */
  release(entry: TemplateEntry, now = performance.now()): void {
    entry.running = Math.max(0, entry.running - 1);
    entry.lastUsed = now;
    if (this.#byKey.get(entry.key) === entry) this.#trim();
  }

  /** Retires every template idle for `idleMs` or longer; returns how many. */
  sweep(now = performance.now()): number {
    let retired = 0;
    for (const entry of [...this.#byKey.values()]) {
      if (entry.running === 0 && now - entry.lastUsed >= this.#bounds.idleMs) {
        this.#evict(entry);
        retired++;
      }
    }
    return retired;
  }

  /** The zygote died, and its templates with it: numbers are never reused, so nothing of theirs is mistaken for a new one. */
  forgetAll(): void {
    this.#byKey.clear();
    this.#perTenant.clear();
  }

  stats(): { templates: number; retired: number; perTenant: Record<string, number> } {
    return { templates: this.#byKey.size, retired: this.#retired, perTenant: Object.fromEntries([...this.#perTenant].map(([tenant, own]) => [tenant, own.size])) };
  }

  /** The numbers of `tenant`'s templates (for tests). */
  numbersOf(tenant: string): number[] {
    return [...(this.#perTenant.get(tenant) ?? [])].map((entry) => entry.number);
  }

  #trim(): void {
    for (const [tenant, own] of this.#perTenant) {
      while (own.size > this.#bounds.perTenant) {
        const victim = leastRecentlyUsedIdle(own);
        if (!victim) break;
        this.#evict(victim);
      }
      if (own.size === 0) this.#perTenant.delete(tenant);
    }
    while (this.#byKey.size > this.#bounds.total) {
      const victim = this.#victimOverall();
      if (!victim) break;
      this.#evict(victim);
    }
  }

  /** The least recently used idle template of the organization holding the most (that has an idle one). */
  #victimOverall(): TemplateEntry | undefined {
    const tenants = [...this.#perTenant.values()].sort((a, b) => b.size - a.size);
    for (const own of tenants) {
      const victim = leastRecentlyUsedIdle(own);
      if (victim) return victim;
    }
    return undefined;
  }

  #evict(entry: TemplateEntry): void {
    this.#byKey.delete(entry.key);
    const own = this.#perTenant.get(entry.tenant);
    own?.delete(entry);
    if (own?.size === 0) this.#perTenant.delete(entry.tenant);
    this.#retired++;
    this.#retire(entry.number);
  }
}

function leastRecentlyUsedIdle(entries: Iterable<TemplateEntry>): TemplateEntry | undefined {
  let victim: TemplateEntry | undefined;
  for (const entry of entries) {
    if (entry.running === 0 && (victim === undefined || entry.lastUsed < victim.lastUsed)) victim = entry;
  }
  return victim;
}
