import { compileJsonSchema } from '../json-schema.js';
import type { BlockType } from '../schemas/workflows.js';
import { routeHandleKey } from './handles.js';
import { isJsonObject, isSet, preview, type JsonObject } from './values.js';

/** One problem in a block config; `path` starts inside the config (the caller prefixes `config`). */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  /** A specific diagnostic code for the YAML spec (default INVALID_BLOCK_CONFIG). */
  code?: string;
}
type Path = ConfigIssue['path'];

export const FUNCTION_LANGUAGES = ['javascript', 'python'] as const;
export type FunctionLanguage = (typeof FUNCTION_LANGUAGES)[number];
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 60;
/** Deeper configs are refused so that every recursive walk over them (fingerprints, diffs) stays far from the stack limit. */
export const MAX_CONFIG_DEPTH = 64;

function issue(path: Path, message: string): ConfigIssue {
  return { path, message };
}

function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Verdict runs `javascript` when `language` is absent; Retab's spelling `Python` is accepted for python. */
export function functionLanguage(config: JsonObject | null): FunctionLanguage | null {
  const language = config?.language;
  if (!isSet(language)) return 'javascript';
  if (typeof language !== 'string') return null;
  const lower = language.toLowerCase();
  return (FUNCTION_LANGUAGES as readonly string[]).includes(lower) ? (lower as FunctionLanguage) : null;
}

function integerIssues(value: unknown, path: Path, min: number, max: number): ConfigIssue[] {
  if (!isSet(value) || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) return [];
  return [issue(path, `${path.join('.')} must be a whole number from ${min} to ${max}; got ${preview(value)}.`)];
}

function optionalStringIssues(entry: JsonObject, key: string, path: Path): ConfigIssue[] {
  const value = entry[key];
  if (!isSet(value) || (typeof value === 'string' && value !== '')) return [];
  return [issue([...path, key], `${key} must be a non-empty string when given; got ${preview(value)}.`)];
}

/** A JSON Schema (draft 2020-12) must be an object that compiles. */
export function jsonSchemaIssues(schema: unknown, path: Path): ConfigIssue[] {
  if (!isJsonObject(schema)) {
    return [issue(path, `${path.join('.')} must be a JSON Schema object, e.g. {"type": "object", "properties": {…}}; got ${preview(schema)}.`)];
  }
  const compiled = compileJsonSchema(schema);
  return compiled.ok ? [] : [issue(path, `${path.join('.')}: ${compiled.message}.`)];
}

interface ListRule {
  key: string;
  nameKey: string;
  noun: string;
  nouns: string;
  required: boolean;
  /** Entries become output routes: each needs a distinct handle key. */
  routes: boolean;
  entryIssues?: (entry: JsonObject, path: Path) => ConfigIssue[];
}

function firstOfEach<T>(items: T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function duplicateIssues(values: Array<[string, Path]>, describeDuplicate: (value: string) => string): ConfigIssue[] {
  const seen = new Set<string>();
  return values.flatMap(([value, path]) => {
    if (!seen.has(value)) {
      seen.add(value);
      return [];
    }
    return [issue(path, describeDuplicate(value))];
  });
}

function entryIssues(entry: unknown, path: Path, rule: ListRule, example: string): ConfigIssue[] {
  if (!isJsonObject(entry)) return [issue(path, `Each ${rule.noun} must be an object like ${example}; got ${preview(entry)}.`)];
  const issues: ConfigIssue[] = [];
  if (!isNamed(entry, rule.nameKey)) issues.push(issue([...path, rule.nameKey], `${rule.key}[${path[1]}] needs a non-empty ${rule.nameKey}.`));
  if (rule.routes) issues.push(...optionalStringIssues(entry, 'handle_key', path));
  issues.push(...(rule.entryIssues?.(entry, path) ?? []));
  return issues;
}

function isNamed(entry: unknown, nameKey: string): entry is JsonObject {
  return isJsonObject(entry) && typeof entry[nameKey] === 'string' && entry[nameKey].trim() !== '';
}

function listIssues(config: JsonObject, rule: ListRule): ConfigIssue[] {
  const list = config[rule.key];
  const example = rule.routes ? `{${rule.nameKey}: "…", handle_key?: "…"}` : `{${rule.nameKey}: "…"}`;
  if (!isSet(list) || (Array.isArray(list) && list.length === 0)) {
    return rule.required ? [issue([rule.key], `${rule.key} must list at least one ${rule.noun} as ${example}.`)] : [];
  }
  if (!Array.isArray(list)) return [issue([rule.key], `${rule.key} must be a list of ${rule.nouns}, each ${example}.`)];
  const issues = list.flatMap((entry, index) => entryIssues(entry, [rule.key, index], rule, example));
  const named = list
    .map((entry, index) => ({ entry, path: [rule.key, index] as Path }))
    .filter((item): item is { entry: JsonObject; path: Path } => isNamed(item.entry, rule.nameKey))
    .map(({ entry, path }) => ({ name: entry[rule.nameKey] as string, handleKey: entry.handle_key, path }));
  issues.push(
    ...duplicateIssues(named.map((n) => [n.name, [...n.path, rule.nameKey]]), (name) => `Two ${rule.nouns} are named "${name}"; names must be unique.`),
  );
  if (rule.routes) {
    const keys = firstOfEach(named, (n) => n.name).map((n): [string, Path] => [routeHandleKey({ name: n.name, handle_key: n.handleKey }), [...n.path, 'handle_key']]);
    issues.push(
      ...duplicateIssues(keys, (key) => `Two ${rule.nouns} use the handle key "${key}" (output handles must be distinct); set a different handle_key on one of them.`),
    );
  }
  return issues;
}

function inputTypeIssues(entry: JsonObject, path: Path): ConfigIssue[] {
  if (entry.type === 'file' || entry.type === 'json') return [];
  return [issue([...path, 'type'], `Input type must be "file" or "json"; got ${preview(entry.type)}.`)];
}

function stringFieldIssues(entry: JsonObject, key: string, path: Path): ConfigIssue[] {
  const value = entry[key];
  return !isSet(value) || typeof value === 'string' ? [] : [issue([...path, key], `${key} must be a string; got ${preview(value)}.`)];
}

function functionIssues(config: JsonObject): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const language = functionLanguage(config);
  if (language === null) issues.push(issue(['language'], `language must be "javascript" or "python"; got ${preview(config.language)}.`));
  if (isSet(config.code) && typeof config.code !== 'string') {
    issues.push(issue(['code'], `code must be a string holding the function source; got ${preview(config.code)}.`));
  } else if (language === 'javascript' && !(typeof config.code === 'string' && config.code.trim() !== '')) {
    issues.push(issue(['code'], 'code is required for a JavaScript function: define `function transform(input) { … }` returning a JSON value.'));
  }
  if (isSet(config.output_schema)) issues.push(...jsonSchemaIssues(config.output_schema, ['output_schema']));
  else {
    issues.push({
      path: ['output_schema'],
      message: 'A function block must declare output_schema (a JSON Schema of what transform returns; {} accepts anything).',
      code: 'MISSING_USER_DECLARED_SCHEMA',
    });
  }
  issues.push(...integerIssues(config.timeout_seconds, ['timeout_seconds'], 1, 300));
  return issues;
}

function extractIssues(config: JsonObject): ConfigIssue[] {
  return [
    ...(isSet(config.json_schema) ? jsonSchemaIssues(config.json_schema, ['json_schema']) : []),
    ...listIssues(config, { key: 'inputs', nameKey: 'name', noun: 'input', nouns: 'inputs', required: false, routes: false, entryIssues: inputTypeIssues }),
    ...integerIssues(config.n_consensus, ['n_consensus'], 1, 10),
  ];
}

const describedRoute = (entry: JsonObject, path: Path) => stringFieldIssues(entry, 'description', path);

function conditionalIssues(config: JsonObject): ConfigIssue[] {
  const issues = listIssues(config, { key: 'conditions', nameKey: 'branch_name', noun: 'branch', nouns: 'branches', required: false, routes: true });
  if (isSet(config.has_else) && typeof config.has_else !== 'boolean') {
    issues.push(issue(['has_else'], `has_else must be true or false; got ${preview(config.has_else)}.`));
  }
  if (config.has_else === false || !Array.isArray(config.conditions)) return issues;
  config.conditions.forEach((branch, index) => {
    if (isNamed(branch, 'branch_name') && routeHandleKey({ name: branch.branch_name as string, handle_key: branch.handle_key }) === 'else') {
      issues.push(issue(['conditions', index, 'handle_key'], 'The handle key "else" belongs to the else branch; rename this branch or set has_else: false.'));
    }
  });
  return issues;
}

const CHECKS: Partial<Record<BlockType, (config: JsonObject) => ConfigIssue[]>> = {
  function: functionIssues,
  extract: extractIssues,
  classifier: (config) => [
    ...listIssues(config, { key: 'categories', nameKey: 'name', noun: 'category', nouns: 'categories', required: true, routes: true, entryIssues: describedRoute }),
    ...integerIssues(config.n_consensus, ['n_consensus'], 1, 10),
  ],
  split: (config) => [
    ...listIssues(config, { key: 'subdocuments', nameKey: 'name', noun: 'subdocument', nouns: 'subdocuments', required: true, routes: true, entryIssues: describedRoute }),
    ...integerIssues(config.n_consensus, ['n_consensus'], 1, 10),
  ],
  conditional: conditionalIssues,
  merge_dicts: (config) => listIssues(config, { key: 'inputs', nameKey: 'name', noun: 'input', nouns: 'inputs', required: false, routes: false }),
};

/**
 * Problems in a block's config, each with a message a person can act on; empty when the config is
 * usable. Keys this function does not know are allowed: Retab stores free-form config.
 */
export function validateBlockConfig(type: BlockType, config: unknown): ConfigIssue[] {
  if (!isSet(config)) config = {};
  if (!isJsonObject(config)) return [issue([], `config must be a JSON object; got ${preview(config)}.`)];
  if (exceedsDepth(config, MAX_CONFIG_DEPTH)) return [issue([], `config is nested more than ${MAX_CONFIG_DEPTH} levels deep; flatten it.`)];
  return CHECKS[type]?.(config) ?? [];
}
