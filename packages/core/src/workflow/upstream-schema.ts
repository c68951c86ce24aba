import type { BlockConfig, BlockType } from '../schemas/workflows.js';
import { isJsonObject, ownValue, type JsonObject } from './values.js';

/** The parts of a workflow graph that say what flows along its edges. */
export interface SchemaGraph {
  blocks: ReadonlyArray<{ id: string; type: BlockType; config: BlockConfig | null }>;
  edges: ReadonlyArray<{ source_block: string; source_handle: string | null; target_block: string; target_handle: string | null }>;
}

/** A parse block's output (retab-workflow-model §2: `{pages: string[], text: string}`). */
const PARSE_OUTPUT: JsonObject = {
  type: 'object',
  properties: { pages: { type: 'array', items: { type: 'string' } }, text: { type: 'string' } },
};
/** A split block's manifest on `output-json-splits`. */
const SPLITS_OUTPUT: JsonObject = {
  type: 'object',
  properties: {
    splits: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, pages: { type: 'array', items: { type: 'integer' } } } },
    },
  },
};

/**
 * The JSON Schema of what arrives on a block's JSON input handle: the schema the upstream block
 * declares for the output that feeds it (a start_json block's `json_schema`, a function's or an
 * api_call's `output_schema`, an extract block's `json_schema`, the fixed shapes of parse and
 * split, a merge_dicts block's inputs; a conditional passes its own input on). Null when nothing
 * feeds the handle or its shape is not declared. This is what a Python function's `models.Input`
 * is generated from (issue 19).
 */
export function upstreamJsonSchema(graph: SchemaGraph, blockId: string, handleId = 'input-json-0'): JsonObject | null {
  return schemaArriving(graph, blockId, handleId, new Set());
}

function schemaArriving(graph: SchemaGraph, blockId: string, handleId: string, visited: Set<string>): JsonObject | null {
  const key = `${blockId}\u0000${handleId}`;
  if (visited.has(key)) return null;
  visited.add(key);
  const edge = graph.edges.find((candidate) => candidate.target_block === blockId && (candidate.target_handle ?? handleId) === handleId);
  const source = edge && graph.blocks.find((block) => block.id === edge.source_block);
  if (!edge || !source) return null;
  switch (source.type) {
    case 'conditional':
      return schemaArriving(graph, source.id, 'input-json-0', visited);
    case 'merge_dicts':
      return mergedInputs(graph, source.id, isJsonObject(source.config) ? source.config : {}, visited);
    default:
      return declaredOutputSchema(source, edge.source_handle ?? 'output-json-0');
  }
}

/**
 * The JSON Schema a block itself declares for what it emits on an output handle (start_json's and
 * extract's `json_schema`, a function's or api_call's `output_schema`, the fixed shapes of parse
 * and split's manifest); null when the block declares none there (file outputs, blocks that pass
 * on what reaches them, a schema that is not an object).
 */
export function declaredOutputSchema(block: { type: BlockType; config: BlockConfig | null }, handleId: string): JsonObject | null {
  const config = isJsonObject(block.config) ? block.config : {};
  switch (block.type) {
    case 'start_json':
    case 'extract':
      return handleId === 'output-json-0' ? schemaIn(config, 'json_schema') : null;
    case 'function':
    case 'api_call':
      return handleId === 'output-json-0' ? schemaIn(config, 'output_schema') : null;
    case 'parse':
      return handleId === 'output-json-0' ? PARSE_OUTPUT : null;
    case 'split':
      return handleId === 'output-json-splits' ? SPLITS_OUTPUT : null;
    default:
      return null;
  }
}

function schemaIn(config: JsonObject, key: string): JsonObject | null {
  const schema = ownValue(config, key);
  return isJsonObject(schema) ? schema : null;
}

/** merge_dicts maps each input's name to what arrives on it. */
function mergedInputs(graph: SchemaGraph, blockId: string, config: JsonObject, visited: Set<string>): JsonObject | null {
  const inputs = ownValue(config, 'inputs');
  if (!Array.isArray(inputs)) return null;
  const properties: JsonObject = {};
  for (const input of inputs) {
    const name = isJsonObject(input) ? ownValue(input, 'name') : undefined;
    if (typeof name !== 'string' || name === '' || Object.hasOwn(properties, name)) continue;
    properties[name] = schemaArriving(graph, blockId, `input-json-${name}`, visited) ?? {};
  }
  return { type: 'object', properties };
}
