import type { BlockConfig, BlockType } from '../schemas/workflows.js';
import { isJsonObject } from './values.js';

export type HandleKind = 'file' | 'json';
export interface HandleDescriptor {
  id: string;
  kind: HandleKind;
}
export interface BlockHandles {
  inputs: HandleDescriptor[];
  outputs: HandleDescriptor[];
}

/** A classifier category, split subdocument or conditional branch: anything that becomes an output route. */
export interface NamedRoute {
  name: string;
  handle_key?: unknown;
}

const NO_HANDLES: BlockHandles = { inputs: [], outputs: [] };

function handle(direction: 'input' | 'output', kind: HandleKind, slot: string): HandleDescriptor {
  return { id: `${direction}-${kind}-${slot}`, kind };
}

/** The route's `handle_key`, else its name lower-cased with spaces turned into hyphens (retab-workflow-model §3.1). */
export function routeHandleKey(route: NamedRoute): string {
  if (typeof route.handle_key === 'string' && route.handle_key !== '') return route.handle_key;
  return route.name.toLowerCase().replace(/ /g, '-');
}

/** Entries of `config[key]` that are objects carrying a string `nameKey`; malformed entries are skipped (validateBlockConfig reports them). */
function namedEntries(config: BlockConfig | null, key: string, nameKey = 'name'): Array<Record<string, unknown> & { name: string }> {
  const list = config?.[key];
  if (!Array.isArray(list)) return [];
  return list
    .filter((entry): entry is Record<string, unknown> => isJsonObject(entry) && typeof entry[nameKey] === 'string')
    .map((entry) => ({ ...entry, name: entry[nameKey] as string }));
}

function withoutDuplicates(handles: HandleDescriptor[]): HandleDescriptor[] {
  return [...new Map(handles.map((h) => [h.id, h] as const)).values()];
}

function routeOutputs(kind: HandleKind, routes: NamedRoute[]): HandleDescriptor[] {
  return routes.map((route) => handle('output', kind, routeHandleKey(route)));
}

function extractHandles(config: BlockConfig | null): BlockHandles {
  const inputs = namedEntries(config, 'inputs').flatMap((entry) =>
    entry.type === 'file' || entry.type === 'json' ? [handle('input', entry.type, entry.name)] : [],
  );
  return {
    inputs: inputs.length > 0 ? inputs : [handle('input', 'file', 'document')],
    outputs: [handle('output', 'json', '0')],
  };
}

function conditionalOutputs(config: BlockConfig | null): HandleDescriptor[] {
  const branches = routeOutputs('json', namedEntries(config, 'conditions', 'branch_name'));
  return config?.has_else === false ? branches : [...branches, handle('output', 'json', 'else')];
}

/** for_each over pages or AI partitions consumes a document; over a JSON array it consumes JSON. */
function forEachInput(config: BlockConfig | null): HandleDescriptor {
  const method = config?.map_method;
  return method === 'split_by_page' || method === 'split_by_key' ? handle('input', 'file', '0') : handle('input', 'json', '0');
}

const jsonIn = () => [handle('input', 'json', '0')];
const jsonOut = () => [handle('output', 'json', '0')];

const DERIVERS: Record<BlockType, (config: BlockConfig | null) => BlockHandles> = {
  start_document: () => ({ inputs: [], outputs: [handle('output', 'file', '0')] }),
  start_json: () => ({ inputs: [], outputs: jsonOut() }),
  note: () => NO_HANDLES,
  review: () => NO_HANDLES,
  while_loop_sentinel_start: () => NO_HANDLES,
  while_loop_sentinel_end: () => NO_HANDLES,
  for_each_sentinel_start: () => NO_HANDLES,
  for_each_sentinel_end: () => NO_HANDLES,
  function: () => ({ inputs: jsonIn(), outputs: jsonOut() }),
  api_call: () => ({ inputs: jsonIn(), outputs: jsonOut() }),
  parse: () => ({ inputs: [handle('input', 'file', '0')], outputs: jsonOut() }),
  edit: () => ({ inputs: [handle('input', 'file', '0'), handle('input', 'json', '0')], outputs: [handle('output', 'file', '0')] }),
  extract: extractHandles,
  classifier: (config) => ({
    inputs: [handle('input', 'file', 'document')],
    outputs: routeOutputs('file', namedEntries(config, 'categories')),
  }),
  split: (config) => ({
    inputs: [handle('input', 'file', '0')],
    outputs: [...routeOutputs('file', namedEntries(config, 'subdocuments')), handle('output', 'json', 'splits')],
  }),
  conditional: (config) => ({ inputs: jsonIn(), outputs: conditionalOutputs(config) }),
  merge_dicts: (config) => ({
    inputs: namedEntries(config, 'inputs').map((entry) => handle('input', 'json', entry.name)),
    outputs: jsonOut(),
  }),
  while_loop: () => ({ inputs: jsonIn(), outputs: jsonOut() }),
  for_each: (config) => ({ inputs: [forEachInput(config)], outputs: jsonOut() }),
};

/**
 * The input and output handles of a block, derived from its type and config (docs/decisions.md §7,
 * retab-workflow-model §2.3 and §3.1). Never throws: malformed config entries are skipped, and
 * two routes that collide on one handle id yield one handle.
 */
export function deriveHandles(type: BlockType, config: BlockConfig | null): BlockHandles {
  const derive = DERIVERS[type];
  if (!derive) return NO_HANDLES;
  const { inputs, outputs } = derive(isJsonObject(config) ? config : null);
  return { inputs: withoutDuplicates(inputs), outputs: withoutDuplicates(outputs) };
}
