import type { BlockConfig } from '../schemas/workflows.js';
import { isJsonObject, ownValue, type JsonObject } from './values.js';

/** Defines an own property, so that a key such as `__proto__` is stored as data and never reaches the prototype. */
function setKey(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * RFC 7396 JSON merge patch: objects merge key by key, `null` deletes a key, arrays and scalars
 * replace. Neither argument is modified; the walk is iterative so any nesting depth is safe.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const root: JsonObject = isJsonObject(target) ? { ...target } : {};
  const pending: Array<{ into: JsonObject; patch: JsonObject }> = [{ into: root, patch }];
  while (pending.length > 0) {
    const { into, patch: level } = pending.pop()!;
    for (const [key, value] of Object.entries(level)) {
      if (value === null) delete into[key];
      else if (!isJsonObject(value)) setKey(into, key, value);
      else {
        const existing = ownValue(into, key);
        const child: JsonObject = isJsonObject(existing) ? { ...existing } : {};
        setKey(into, key, child);
        pending.push({ into: child, patch: value });
      }
    }
  }
  return root;
}

/** `config_mode: "replace"`: the given config is the whole new config, without its top-level nulls. */
export function replaceConfig(config: BlockConfig): BlockConfig {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== null));
}

/** The config a block update leaves behind: RFC 7396 merge by default, or a replacement. */
export function updateConfig(current: BlockConfig | null, patch: BlockConfig, mode: 'merge' | 'replace' = 'merge'): BlockConfig {
  return mode === 'replace' ? replaceConfig(patch) : (mergePatch(current ?? {}, patch) as BlockConfig);
}
