// Fixtures for the spec tests: draft builders, random drafts, and an in-memory store that executes
// plan operations with the strictness a database would have (missing parents, dangling edges).
import fc from 'fast-check';
import { CREATABLE_BLOCK_TYPES, type BlockConfig, type BlockType } from '../../schemas/workflows.js';
import { checkEdge } from '../edges.js';
import { deriveHandles } from '../handles.js';
import type { DraftBlock, DraftEdge, DraftWorkflow } from './model.js';
import type { DraftState, PlanOperation } from './plan.js';

export function draftBlock(id: string, type: BlockType, fields: Partial<DraftBlock> = {}): DraftBlock {
  return { id, type, label: '', position_x: 0, position_y: 0, width: null, height: null, config: null, parent_id: null, ...fields };
}

export function draftEdge(id: string, source: string, sourceHandle: string | null, target: string, targetHandle: string | null): DraftEdge {
  return { id, source_block: source, source_handle: sourceHandle, target_block: target, target_handle: targetHandle };
}

export const JS_FUNCTION: BlockConfig = {
  language: 'javascript',
  code: 'function transform(input) {\n  return { ok: true };\n}\n',
  output_schema: { type: 'object', properties: { ok: { type: 'boolean' } } },
};

function fail(message: string): never {
  throw new Error(`in-memory store refused an operation: ${message}`);
}

/** Executes plan operations one by one, refusing what a store with foreign keys would refuse. */
export function applyOperations(state: DraftState, operations: PlanOperation[]): DraftState {
  let workflow: DraftWorkflow | null = state.workflow;
  const blocks = new Map(state.blocks.map((block) => [block.id, block]));
  let edges = [...state.edges];
  const requireParent = (block: DraftBlock) => {
    if (block.parent_id !== null && !blocks.has(block.parent_id)) fail(`parent ${block.parent_id} of ${block.id} does not exist yet`);
  };
  for (const operation of operations) {
    switch (operation.op) {
      case 'create_workflow':
        if (workflow) fail('workflow exists');
        workflow = operation.workflow;
        break;
      case 'update_workflow':
        if (!workflow) fail('no workflow to update');
        workflow = operation.workflow;
        break;
      case 'delete_edge':
        if (!edges.some((edge) => edge.id === operation.edge_id)) fail(`no edge ${operation.edge_id}`);
        edges = edges.filter((edge) => edge.id !== operation.edge_id);
        break;
      case 'create_block':
      case 'update_block':
        if (blocks.has(operation.block.id) !== (operation.op === 'update_block')) fail(`${operation.op} ${operation.block.id}`);
        requireParent(operation.block);
        blocks.set(operation.block.id, operation.block);
        break;
      case 'delete_block':
        if (edges.some((edge) => edge.source_block === operation.block_id || edge.target_block === operation.block_id)) fail(`edges still use ${operation.block_id}`);
        if ([...blocks.values()].some((block) => block.parent_id === operation.block_id)) fail(`${operation.block_id} still has children`);
        blocks.delete(operation.block_id);
        break;
      case 'create_edge': {
        const result = checkEdge({ blocks: [...blocks.values()], edges }, operation.edge);
        if (!result.ok) fail(result.problem.message);
        edges.push({ id: operation.edge.id ?? `edg_${edges.length}_${operation.edge.target_block}`, ...result.edge });
        break;
      }
    }
  }
  return { workflow, blocks: [...blocks.values()], edges };
}

// ---- random drafts -------------------------------------------------------------------------

const TRICKY_TEXT = ['', 'true', 'null', '123', '1e3', '.inf', 'yes', '~', '- x', 'a: b', '#c', ' lead', 'trail ', 'multi\nline\n', '\ttab', '"q"', "'s'", 'ünï €'];
const text = (maxLength: number) => fc.oneof(fc.constantFrom(...TRICKY_TEXT), fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }));
const routeName = fc.oneof(fc.constantFrom('Invoice', 'Booking confirmation', 'other', '2'), fc.string({ minLength: 1, maxLength: 8 })).filter((name) => name.trim() !== '');
const routeKey = (name: string) => name.toLowerCase().replace(/ /g, '-');
const routes = (nameKey: string, minLength: number) =>
  fc.uniqueArray(routeName.filter((name) => routeKey(name) !== 'else'), { minLength, maxLength: 3, selector: routeKey }).map((names) => names.map((name) => ({ [nameKey]: name })));
const extra = fc.jsonValue({ maxDepth: 2 }).filter((value) => value !== null);
const number = fc.double({ noNaN: true, noDefaultInfinity: true });

const CONFIGS: Record<string, fc.Arbitrary<BlockConfig>> = {
  function: fc.record({
    language: fc.constant('javascript'),
    code: text(40).filter((code) => code.trim() !== ''),
    output_schema: fc.constantFrom({ type: 'object' }, { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] }),
    timeout_seconds: fc.integer({ min: 1, max: 300 }),
  }),
  extract: fc.record(
    {
      model: fc.constantFrom('retab-small', 'gpt-4.1'),
      json_schema: fc.constant({ type: 'object', properties: { total: { type: 'number' } } }),
      inputs: fc.uniqueArray(fc.record({ name: fc.constantFrom('document', 'hints', 'extra'), type: fc.constantFrom('file', 'json') }), { minLength: 1, maxLength: 2, selector: (input) => input.name }),
      n_consensus: fc.integer({ min: 1, max: 10 }),
    },
    { requiredKeys: ['model'] },
  ),
  classifier: fc.record({ categories: routes('name', 1) }),
  split: fc.record({ subdocuments: routes('name', 1) }),
  conditional: fc.record({ conditions: routes('branch_name', 0), has_else: fc.boolean() }),
  merge_dicts: fc.record({ inputs: fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c') }), { maxLength: 3, selector: (input) => input.name }) }),
  for_each: fc.record({ map_method: fc.constantFrom('iterate_array', 'split_by_page') }),
};
const freeConfig = fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom('note', 'model', 'x'), extra, { maxKeys: 2 }));

const blockFields = (type: BlockType) =>
  fc.record({
    type: fc.constant(type),
    label: text(20),
    position_x: number,
    position_y: number,
    width: fc.option(number),
    height: fc.option(number),
    config: CONFIGS[type] ?? freeConfig,
    parentPick: fc.option(fc.nat()),
  });

type RandomBlock = Omit<DraftBlock, 'parent_id'> & { parentPick: number | null };

function withParents(blocks: RandomBlock[]): DraftBlock[] {
  return blocks.map(({ parentPick, ...block }, index) => {
    const containers = blocks.slice(0, index).filter((earlier) => earlier.type === 'while_loop' || earlier.type === 'for_each');
    const parent = parentPick === null || containers.length === 0 ? null : containers[parentPick % containers.length].id;
    return { ...block, parent_id: parent };
  });
}

/** Edges only from an earlier block to a later one (no cycles), one per input handle, kinds matching. */
function pickEdges(blocks: DraftBlock[], picks: Array<[number, number, number, number]>): DraftEdge[] {
  const edges: DraftEdge[] = [];
  for (const [a, b, c, d] of picks) {
    if (blocks.length < 2) break;
    const [i, j] = [a % blocks.length, b % blocks.length].sort((x, y) => x - y);
    if (i === j) continue;
    const outputs = deriveHandles(blocks[i].type, blocks[i].config).outputs;
    if (outputs.length === 0) continue;
    const output = outputs[c % outputs.length];
    const inputs = deriveHandles(blocks[j].type, blocks[j].config).inputs.filter((input) => input.kind === output.kind);
    if (inputs.length === 0) continue;
    const input = inputs[d % inputs.length];
    if (edges.some((edge) => edge.target_block === blocks[j].id && edge.target_handle === input.id)) continue;
    edges.push(draftEdge(`edg_${edges.length}`, blocks[i].id, output.id, blocks[j].id, input.id));
  }
  return edges;
}

const blockId = fc.oneof(fc.constantFrom('doc_in', 'blk_1', '10', '9', 'a.b', 'x:y', 'true', '1e3'), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,10}$/));

export const workflowArbitrary: fc.Arbitrary<DraftWorkflow> = fc.record({
  id: fc.constant('wf_random'),
  name: text(30),
  description: text(60),
});

/** A random valid draft of up to six blocks. */
export const draftStateArbitrary: fc.Arbitrary<DraftState> = fc
  .record({
    workflow: workflowArbitrary,
    blocks: fc.uniqueArray(fc.tuple(blockId, fc.constantFrom(...CREATABLE_BLOCK_TYPES)), { maxLength: 6, selector: ([id]) => id }),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 8 }),
  })
  .chain(({ workflow, blocks, picks }) =>
    fc.tuple(...blocks.map(([id, type]) => blockFields(type).map((fields) => ({ ...fields, id })))).map((random) => {
      const draftBlocks = withParents(random);
      return { workflow, blocks: draftBlocks, edges: pickEdges(draftBlocks, picks) };
    }),
  );
