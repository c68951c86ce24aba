import { isJsonObject } from '../values.js';

/** The configured input names of a merge_dicts block, in config order (malformed entries left out, as deriveHandles does). */
export function mergeDictsInputNames(config: unknown): string[] {
  const inputs = isJsonObject(config) ? config.inputs : undefined;
  if (!Array.isArray(inputs)) return [];
  const names = inputs.filter((entry) => isJsonObject(entry) && typeof entry.name === 'string').map((entry) => (entry as { name: string }).name);
  return [...new Set(names)];
}

/**
 * merge_dicts (retab-workflow-model §2.3): one object mapping each configured input name to the
 * JSON received on `input-json-<name>`. An input that received nothing (its branch was not taken,
 * or it has no edge) maps to null, so the object has the same keys on every run. Built with
 * Object.fromEntries so that a name such as `__proto__` is an ordinary key.
 */
export function mergeDicts(config: unknown, received: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    mergeDictsInputNames(config).map((name) => {
      const handleId = `input-json-${name}`;
      return [name, Object.hasOwn(received, handleId) ? (received[handleId] ?? null) : null];
    }),
  );
}
