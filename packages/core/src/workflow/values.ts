/** Small predicates over JSON values shared by the workflow modules. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Retab stores free-form config, and YAML writes empty values as null: absent and null both mean "not set". */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Reads only own keys, so that `__proto__` or `constructor` in user JSON never reaches Object.prototype. */
export function ownValue(value: JsonObject, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

/** A value as JSON, shortened to `maxChars` for messages. */
export function preview(value: unknown, maxChars = 40): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? text.slice(0, maxChars - 3) + '...' : text;
}
