import type { BlockConfig, BlockType } from '../../schemas/workflows.js';
import { validateBlockConfig } from '../block-config.js';
import { EdgeChecker, findCycle, type GraphEdge, type ResolvedEdge } from '../edges.js';
import { deriveHandles } from '../handles.js';
import { compareText } from '../sort.js';
import { parseConditionalConfig, type ConditionalConfig } from './conditional.js';
import { parseForEachConfig, type ForEachConfig } from './for-each.js';
import { RUN_LIMITS } from './schemas/limits.js';

/** The blocks a workflow run executes; `note` is documentation and never runs. */
export const RUNNABLE_BLOCK_TYPES = ['start_json', 'start_document', 'function', 'extract', 'classifier', 'split', 'conditional', 'merge_dicts', 'for_each'] as const;
export type RunnableBlockType = (typeof RUNNABLE_BLOCK_TYPES)[number];
const isRunnable = (type: BlockType): type is RunnableBlockType => (RUNNABLE_BLOCK_TYPES as readonly string[]).includes(type);

export interface RunGraphBlock {
  id: string;
  type: BlockType;
  label?: string | null;
  config: BlockConfig | null;
  parent_id: string | null;
}
export interface RunGraph {
  blocks: RunGraphBlock[];
  edges: GraphEdge[];
}
/** The start blocks a create-run request gave inputs for. */
export interface RunInputNames {
  documents: readonly string[];
  json_inputs: readonly string[];
}

export const PLAN_PROBLEM_CODES = ['unsupported_block_type', 'missing_start_input', 'unexpected_start_input', 'invalid_block_config', 'invalid_graph', 'workflow_too_large'] as const;
export type PlanProblemCode = (typeof PLAN_PROBLEM_CODES)[number];
export interface PlanProblem {
  code: PlanProblemCode;
  /** The block at fault, when one is. */
  block_id: string | null;
  /** The request field at fault (`documents.<block>`, `json_inputs.<block>`), when the request is. */
  field: string | null;
  message: string;
}

/**
 * How a value reaches an input: `value` is the source step's output on the handle; `item` is the
 * current iteration's item of the for_each that contains the target (an edge from a loop to a
 * block inside it). An edge from a loop to a block outside it carries the loop's reduced output,
 * a `value` like any other.
 */
export interface PlannedInput {
  sourceBlockId: string;
  sourceHandle: string;
  targetHandle: string;
  kind: 'value' | 'item';
}

export interface PlannedBlock {
  id: string;
  type: RunnableBlockType;
  label: string;
  config: BlockConfig | null;
  /** Enclosing for_each blocks, outermost first. */
  loops: string[];
  inputs: PlannedInput[];
  /** Blocks that read this block's outputs, sorted by id. */
  readers: string[];
  conditional: ConditionalConfig | null;
  forEach: (ForEachConfig & { body: string[]; resultBlockId: string | null; resultHandles: string[] }) | null;
}

export interface RunPlan {
  blocks: ReadonlyMap<string, PlannedBlock>;
  /** The blocks outside any loop, in dependency order (ties by id). */
  topLevel: string[];
}

export type PlanResult = { ok: true; plan: RunPlan } | { ok: false; problems: PlanProblem[] };

const MAX_PROBLEMS = 100;

function problem(code: PlanProblemCode, blockId: string | null, message: string, field: string | null = null): PlanProblem {
  return { code, block_id: blockId, field, message };
}

function describeBlock(block: RunGraphBlock): string {
  return block.label ? `${block.type} block "${block.id}" (${block.label})` : `${block.type} block "${block.id}"`;
}

/** Enclosing for_each ids of each block, outermost first; problems for parents that are missing, not loops, or nested too deep. */
function loopChains(blocks: Map<string, RunGraphBlock>, problems: PlanProblem[]): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const block of blocks.values()) {
    const chain: string[] = [];
    let parentId = block.parent_id;
    while (parentId !== null && chain.length <= RUN_LIMITS.maxLoopNesting) {
      const parent = blocks.get(parentId);
      if (!parent) {
        problems.push(problem('invalid_graph', block.id, `The ${describeBlock(block)} sits inside "${parentId}", which is not a block of this workflow.`));
        break;
      }
      if (parent.type !== 'for_each') {
        problems.push(problem('invalid_graph', block.id, `The ${describeBlock(block)} sits inside the ${describeBlock(parent)}; only for_each blocks contain others.`));
        break;
      }
      if (chain.includes(parentId)) break;
      chain.unshift(parentId);
      parentId = parent.parent_id;
    }
    if (chain.length > RUN_LIMITS.maxLoopNesting) {
      problems.push(problem('workflow_too_large', block.id, `The ${describeBlock(block)} is nested in more than ${RUN_LIMITS.maxLoopNesting} for_each blocks.`));
    }
    chains.set(block.id, chain);
  }
  return chains;
}

function isPrefix(prefix: readonly string[], of: readonly string[]): boolean {
  return prefix.length <= of.length && prefix.every((id, index) => of[index] === id);
}

/**
 * What a run of `graph` will execute, or every reason it cannot run (at most 100), each naming the
 * block or request field at fault: types Verdict does not execute, start blocks without their
 * input (or inputs for blocks that are not start blocks), configs that cannot run, edges that no
 * longer fit their handles, values leaving a loop other than through its output, cycles, and a
 * graph past RUN_LIMITS. Notes are left out. Pure and linear in the size of the graph.
 */
export function planRun(graph: RunGraph, given: RunInputNames): PlanResult {
  if (graph.blocks.length > RUN_LIMITS.maxBlocks || graph.edges.length > RUN_LIMITS.maxEdges) {
    return {
      ok: false,
      problems: [problem('workflow_too_large', null, `A workflow run takes at most ${RUN_LIMITS.maxBlocks} blocks and ${RUN_LIMITS.maxEdges} edges; this workflow has ${graph.blocks.length} and ${graph.edges.length}.`)],
    };
  }
  const problems: PlanProblem[] = [];
  const all = new Map(graph.blocks.map((block) => [block.id, block]));
  const runnable = new Map([...all].filter(([, block]) => block.type !== 'note'));
  const chains = loopChains(runnable, problems);

  const planned = new Map<string, PlannedBlock>();
  for (const block of [...runnable.values()].sort((a, b) => compareText(a.id, b.id))) {
    if (!isRunnable(block.type)) {
      problems.push(problem('unsupported_block_type', block.id, `The ${describeBlock(block)} cannot run: Verdict executes ${RUNNABLE_BLOCK_TYPES.join(', ')} blocks (and skips notes). Remove it, or run the blocks around it as block tests.`));
      continue;
    }
    const issue = validateBlockConfig(block.type, block.config)[0];
    if (issue) problems.push(problem('invalid_block_config', block.id, `The ${describeBlock(block)} has an unusable config at config${issue.path.map((part) => `.${part}`).join('')}: ${issue.message}`));
    let conditional: ConditionalConfig | null = null;
    if (block.type === 'conditional') {
      const parsed = parseConditionalConfig(block.config);
      if (parsed.ok) conditional = parsed.config;
      else problems.push(problem('invalid_block_config', block.id, `The ${describeBlock(block)} cannot route: ${parsed.message}`));
    }
    let forEach: PlannedBlock['forEach'] = null;
    if (block.type === 'for_each') {
      const parsed = parseForEachConfig(block.config);
      if (parsed.ok) forEach = { ...parsed.config, body: [], resultBlockId: null, resultHandles: [] };
      else problems.push(problem('invalid_block_config', block.id, `The ${describeBlock(block)} cannot iterate: ${parsed.message}`));
    }
    const loops = chains.get(block.id) ?? [];
    if ((block.type === 'start_json' || block.type === 'start_document') && loops.length > 0) {
      problems.push(problem('invalid_graph', block.id, `The ${describeBlock(block)} sits inside a for_each; start blocks belong at the top of the workflow.`));
    }
    planned.set(block.id, { id: block.id, type: block.type, label: block.label ?? '', config: block.config, loops, inputs: [], readers: [], conditional, forEach });
  }

  startInputProblems(planned, all, given, problems);
  const lifted = resolveEdges(graph.edges, runnable, planned, problems);
  if (problems.length === 0) {
    const cycle = findCycle(lifted);
    if (cycle) problems.push(problem('invalid_graph', cycle[0]!.source_block, `The blocks ${cycle.map((edge) => `"${edge.source_block}"`).join(' → ')} depend on each other in a cycle (counting what each for_each waits for).`));
  }
  if (problems.length === 0) {
    for (const block of planned.values()) if (block.forEach) bodyProblems(block, planned, lifted, problems);
  }
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };

  const order = dependencyOrder([...planned.keys()], lifted);
  if (order.depth > RUN_LIMITS.maxDepth) {
    return { ok: false, problems: [problem('workflow_too_large', null, `The longest chain of blocks is ${order.depth} long; a workflow run allows ${RUN_LIMITS.maxDepth}.`)] };
  }
  for (const id of order.ids) {
    const block = planned.get(id)!;
    const loop = block.loops.length > 0 ? planned.get(block.loops[block.loops.length - 1]!)! : null;
    loop?.forEach?.body.push(id);
  }
  return { ok: true, plan: { blocks: planned, topLevel: order.ids.filter((id) => planned.get(id)!.loops.length === 0) } };
}

function startInputProblems(planned: Map<string, PlannedBlock>, all: Map<string, RunGraphBlock>, given: RunInputNames, problems: PlanProblem[]): void {
  const expected = [
    { field: 'documents', type: 'start_document', names: new Set(given.documents), what: 'a document' },
    { field: 'json_inputs', type: 'start_json', names: new Set(given.json_inputs), what: 'JSON' },
  ] as const;
  for (const { field, type, names, what } of expected) {
    for (const block of planned.values()) {
      if (block.type === type && !names.has(block.id)) {
        problems.push(problem('missing_start_input', block.id, `The ${type} block "${block.id}" needs ${what}: pass it as ${field}["${block.id}"].`, `${field}.${block.id}`));
      }
    }
    for (const name of [...names].sort(compareText)) {
      const block = all.get(name);
      if (block?.type !== type) {
        const actually = block ? `is a ${block.type} block` : 'is not a block of this workflow';
        problems.push(problem('unexpected_start_input', name, `${field}["${name}"] names no ${type} block: "${name}" ${actually}.`, `${field}.${name}`));
      }
    }
  }
}

/**
 * Checks every edge against the handles the blocks have now and records it on its target; answers
 * the dependencies between blocks of one scope that the edges imply (an edge into a loop body from
 * outside makes the loop wait for its source), for cycle detection and ordering.
 */
function resolveEdges(edges: GraphEdge[], runnable: Map<string, RunGraphBlock>, planned: Map<string, PlannedBlock>, problems: PlanProblem[]): ResolvedEdge[] {
  const checker = new EdgeChecker([...runnable.values()]);
  const lifted: ResolvedEdge[] = [];
  for (const edge of edges) {
    const checked = checker.checkEndpoints(edge);
    if (!checked.ok) {
      problems.push(problem('invalid_graph', edge.target_block, `The edge from "${edge.source_block}" to "${edge.target_block}" no longer fits the workflow: ${checked.problem.message}`));
      continue;
    }
    checker.add(checked.edge);
    const source = planned.get(checked.edge.source_block);
    const target = planned.get(checked.edge.target_block);
    if (!source || !target) continue;
    const loopOfTarget = target.loops[target.loops.length - 1];
    if (source.type === 'for_each' && loopOfTarget === source.id) {
      target.inputs.push({ sourceBlockId: source.id, sourceHandle: checked.edge.source_handle, targetHandle: checked.edge.target_handle, kind: 'item' });
      source.readers.push(target.id);
      continue;
    }
    if (target.loops.includes(source.id)) {
      problems.push(problem('invalid_graph', target.id, `The for_each "${source.id}" feeds "${target.id}", which sits in a loop inside it ("${loopOfTarget}"): connect "${source.id}" to a block directly inside it.`));
      continue;
    }
    if (!isPrefix(source.loops, target.loops)) {
      const loop = source.loops[source.loops.length - 1] ?? source.id;
      problems.push(problem('invalid_graph', source.id, `"${source.id}" is inside the for_each "${loop}" and cannot feed "${target.id}" outside it: connect the output of "${loop}", which collects every iteration.`));
      continue;
    }
    target.inputs.push({ sourceBlockId: source.id, sourceHandle: checked.edge.source_handle, targetHandle: checked.edge.target_handle, kind: 'value' });
    source.readers.push(target.id);
    // Lifted to the source's scope: the target's outermost block there (the target, or a loop containing it).
    const liftedTarget = target.loops[source.loops.length] ?? target.id;
    lifted.push({ ...checked.edge, target_block: liftedTarget });
  }
  for (const block of planned.values()) {
    block.readers = [...new Set(block.readers)].sort(compareText);
    block.inputs.sort((a, b) => compareText(a.targetHandle, b.targetHandle));
  }
  return lifted;
}

/** A loop body must have blocks, and (unless the loop reduces to nothing) end in exactly one, whose JSON output the loop collects. */
function bodyProblems(loop: PlannedBlock, planned: Map<string, PlannedBlock>, lifted: ResolvedEdge[], problems: PlanProblem[]): void {
  const children = [...planned.values()].filter((block) => block.loops[block.loops.length - 1] === loop.id).map((block) => block.id);
  if (children.length === 0) {
    problems.push(problem('invalid_graph', loop.id, `The for_each "${loop.id}" has no blocks inside it to run for each item.`));
    return;
  }
  const feedsSibling = new Set(lifted.filter((edge) => children.includes(edge.source_block) && children.includes(edge.target_block)).map((edge) => edge.source_block));
  const ends = children.filter((id) => !feedsSibling.has(id)).sort(compareText);
  if (loop.forEach!.reduceStrategy === 'none') return;
  if (ends.length !== 1) {
    problems.push(problem('invalid_graph', loop.id, `The body of the for_each "${loop.id}" ends in ${ends.length} blocks (${ends.join(', ')}); it must end in one, whose output the loop collects (or set reduce_strategy: none).`));
    return;
  }
  const end = planned.get(ends[0]!)!;
  const jsonOutputs = deriveHandles(end.type, end.config).outputs.filter((handle) => handle.kind === 'json').map((handle) => handle.id);
  if (jsonOutputs.length === 0) {
    problems.push(problem('invalid_graph', loop.id, `The body of the for_each "${loop.id}" ends in "${end.id}", which gives no JSON output for the loop to collect.`));
    return;
  }
  loop.forEach!.resultBlockId = end.id;
  loop.forEach!.resultHandles = jsonOutputs;
}

/** Kahn's order over the lifted dependencies, ready blocks taken by id; `depth` is the longest chain within one scope. */
function dependencyOrder(ids: string[], lifted: ResolvedEdge[]): { ids: string[]; depth: number } {
  const inDegree = new Map(ids.map((id) => [id, 0]));
  const next = new Map<string, string[]>();
  for (const edge of lifted) {
    inDegree.set(edge.target_block, inDegree.get(edge.target_block)! + 1);
    const targets = next.get(edge.source_block);
    if (targets) targets.push(edge.target_block);
    else next.set(edge.source_block, [edge.target_block]);
  }
  const level = new Map(ids.map((id) => [id, 1]));
  let ready = ids.filter((id) => inDegree.get(id) === 0).sort(compareText);
  const ordered: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    ordered.push(id);
    const released: string[] = [];
    for (const target of next.get(id) ?? []) {
      level.set(target, Math.max(level.get(target)!, level.get(id)! + 1));
      const remaining = inDegree.get(target)! - 1;
      inDegree.set(target, remaining);
      if (remaining === 0) released.push(target);
    }
    ready = [...ready, ...released].sort(compareText);
  }
  return { ids: ordered, depth: Math.max(0, ...level.values()) };
}
