import type { BlockConfig, BlockType } from '../schemas/workflows.js';
import { deriveHandles, type BlockHandles, type HandleDescriptor } from './handles.js';

export interface GraphBlock {
  id: string;
  type: BlockType;
  config: BlockConfig | null;
  parent_id: string | null;
}
export interface EdgeEndpoints {
  source_block: string;
  source_handle?: string | null;
  target_block: string;
  target_handle?: string | null;
}
export interface GraphEdge extends EdgeEndpoints {
  id?: string;
}
export interface ResolvedEdge {
  source_block: string;
  source_handle: string;
  target_block: string;
  target_handle: string;
}
export interface Graph {
  blocks: GraphBlock[];
  edges: GraphEdge[];
}

/** The error code follows docs/decisions.md §2 (404 / 422 / 409); `reason` says which rule refused the edge. */
export interface EdgeProblem {
  code: 'block_not_found' | 'validation_error' | 'conflict';
  reason: 'unknown_block' | 'self_loop' | 'missing_handle' | 'unknown_handle' | 'kind_mismatch' | 'duplicate' | 'input_taken' | 'cycle';
  message: string;
  /** The request field at fault, when one is. */
  field: keyof EdgeEndpoints | null;
}
export type EdgeCheck = { ok: true; edge: ResolvedEdge } | { ok: false; problem: EdgeProblem };

type End = 'source' | 'target';
export const CYCLE_HINT = 'Workflows are acyclic: repeat work with a while_loop or for_each block.';
const END = {
  source: { blockField: 'source_block', handleField: 'source_handle', direction: 'output', list: 'outputs' },
  target: { blockField: 'target_block', handleField: 'target_handle', direction: 'input', list: 'inputs' },
} as const;

function fail(code: EdgeProblem['code'], reason: EdgeProblem['reason'], field: EdgeProblem['field'], message: string): EdgeCheck {
  return { ok: false, problem: { code, reason, field, message } };
}

function handleList(handles: HandleDescriptor[]): string {
  return handles.length === 0 ? 'it has none' : `its handles are ${handles.map((h) => h.id).join(', ')}`;
}

function edgeKey(edge: EdgeEndpoints): string {
  return JSON.stringify([edge.source_block, edge.source_handle ?? null, edge.target_block, edge.target_handle ?? null]);
}

function inputKey(edge: EdgeEndpoints): string {
  return JSON.stringify([edge.target_block, edge.target_handle ?? null]);
}

/**
 * The edges of one workflow draft, indexed so that each new edge is checked against the rules of
 * retab-workflow-model §5 without rescanning the graph: existing blocks, existing handles,
 * file→file and json→json only, one edge per input handle, no duplicates, no self-loops, no cycles.
 */
export class EdgeChecker {
  private readonly blocks = new Map<string, GraphBlock>();
  private readonly handles = new Map<string, BlockHandles>();
  private readonly keys = new Set<string>();
  private readonly takenInputs = new Set<string>();
  private readonly successors = new Map<string, Set<string>>();

  constructor(blocks: GraphBlock[], edges: GraphEdge[] = []) {
    for (const block of blocks) this.blocks.set(block.id, block);
    for (const edge of edges) {
      const resolved = this.resolve(edge);
      this.add(resolved.ok ? resolved.edge : edge);
    }
  }

  handlesOf(blockId: string): BlockHandles | null {
    const block = this.blocks.get(blockId);
    if (!block) return null;
    let handles = this.handles.get(blockId);
    if (!handles) {
      handles = deriveHandles(block.type, block.config);
      this.handles.set(blockId, handles);
    }
    return handles;
  }

  /** Blocks exist and handles name real handles of the right direction; a missing handle is filled when the block has exactly one. */
  resolve(edge: EdgeEndpoints): EdgeCheck {
    const source = this.resolveEnd(edge, 'source');
    if (typeof source !== 'string') return source;
    const target = this.resolveEnd(edge, 'target');
    if (typeof target !== 'string') return target;
    return { ok: true, edge: { source_block: edge.source_block, source_handle: source, target_block: edge.target_block, target_handle: target } };
  }

  /** Every rule, against the edges added so far. */
  check(edge: EdgeEndpoints): EdgeCheck {
    const result = this.checkEndpoints(edge);
    return result.ok ? (this.cycleProblem(result.edge) ?? result) : result;
  }

  /**
   * Every rule but the cycle rule, whose check walks the graph: a caller adding many edges at once
   * checks them with this and then calls `findCycle` once.
   */
  checkEndpoints(edge: EdgeEndpoints): EdgeCheck {
    if (edge.source_block === edge.target_block && this.blocks.has(edge.source_block)) {
      return fail('validation_error', 'self_loop', 'target_block', `Block "${edge.source_block}" cannot be connected to itself.`);
    }
    const resolved = this.resolve(edge);
    if (!resolved.ok) return resolved;
    return this.kindProblem(resolved.edge) ?? this.stateProblem(resolved.edge) ?? resolved;
  }

  /** Records an edge so that later checks see it. */
  add(edge: EdgeEndpoints): void {
    this.keys.add(edgeKey(edge));
    this.takenInputs.add(inputKey(edge));
    const next = this.successors.get(edge.source_block) ?? new Set<string>();
    next.add(edge.target_block);
    this.successors.set(edge.source_block, next);
  }

  private resolveEnd(edge: EdgeEndpoints, end: End): string | EdgeCheck {
    const { blockField, handleField, direction, list } = END[end];
    const blockId = edge[blockField];
    const handles = this.handlesOf(blockId)?.[list];
    if (!handles) return fail('block_not_found', 'unknown_block', blockField, `The ${end} block "${blockId}" does not exist in this workflow.`);
    const type = this.blocks.get(blockId)!.type;
    const requested = edge[handleField];
    if (requested === undefined || requested === null || requested === '') {
      if (handles.length === 1) return handles[0].id;
      return fail('validation_error', 'missing_handle', handleField,
        `Name the ${direction} handle of ${type} block "${blockId}" in ${handleField}: ${handleList(handles)}.`);
    }
    if (handles.some((h) => h.id === requested)) return requested;
    return fail('validation_error', 'unknown_handle', handleField,
      `The ${type} block "${blockId}" has no ${direction} handle "${requested}"; ${handleList(handles)}.`);
  }

  private kindOf(blockId: string, list: 'inputs' | 'outputs', handleId: string): string {
    return this.handlesOf(blockId)![list].find((h) => h.id === handleId)!.kind;
  }

  private kindProblem(edge: ResolvedEdge): EdgeCheck | null {
    const from = this.kindOf(edge.source_block, 'outputs', edge.source_handle);
    const to = this.kindOf(edge.target_block, 'inputs', edge.target_handle);
    if (from === to) return null;
    return fail('validation_error', 'kind_mismatch', 'target_handle',
      `Cannot connect the ${from} output "${edge.source_handle}" of "${edge.source_block}" to the ${to} input "${edge.target_handle}" of "${edge.target_block}": edges join file to file or json to json.`);
  }

  private stateProblem(edge: ResolvedEdge): EdgeCheck | null {
    if (this.keys.has(edgeKey(edge))) {
      return fail('conflict', 'duplicate', null,
        `An edge from "${edge.source_block}" (${edge.source_handle}) to "${edge.target_block}" (${edge.target_handle}) already exists.`);
    }
    if (this.takenInputs.has(inputKey(edge))) {
      return fail('conflict', 'input_taken', 'target_handle',
        `The input handle "${edge.target_handle}" of "${edge.target_block}" already has an edge; an input handle takes one edge.`);
    }
    return null;
  }

  private cycleProblem(edge: ResolvedEdge): EdgeCheck | null {
    if (this.reaches(edge.target_block, edge.source_block)) {
      return fail('validation_error', 'cycle', 'target_block',
        `Connecting "${edge.source_block}" to "${edge.target_block}" would close a cycle: "${edge.target_block}" already leads to "${edge.source_block}". ${CYCLE_HINT}`);
    }
    return null;
  }

  private reaches(from: string, to: string): boolean {
    const seen = new Set<string>([from]);
    const pending = [from];
    while (pending.length > 0) {
      const current = pending.pop()!;
      if (current === to) return true;
      for (const next of this.successors.get(current) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          pending.push(next);
        }
      }
    }
    return false;
  }
}

/** Checks a new edge against a workflow draft; the route stores `edge` (handles filled in) when `ok`. */
export function checkEdge(graph: Graph, edge: EdgeEndpoints): EdgeCheck {
  return new EdgeChecker(graph.blocks, graph.edges).check(edge);
}

export function validateEdge(graph: Graph, edge: EdgeEndpoints): EdgeProblem | null {
  const result = checkEdge(graph, edge);
  return result.ok ? null : result.problem;
}

/** Fills a missing handle with the block's only handle of that direction; refuses unknown blocks and handles. */
export function resolveEdgeHandles(graph: Graph, edge: EdgeEndpoints): EdgeCheck {
  return new EdgeChecker(graph.blocks).resolve(edge);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A cycle among the edges, in walking order, or null when they form a DAG. Linear in the number
 * of edges (Kahn's algorithm, then a walk backwards through what it could not order).
 */
export function findCycle<E extends EdgeEndpoints>(edges: E[]): E[] | null {
  const unordered = new Map<string, number>();
  const outgoing = new Map<string, E[]>();
  const incoming = new Map<string, E[]>();
  for (const edge of edges) {
    unordered.set(edge.source_block, unordered.get(edge.source_block) ?? 0);
    unordered.set(edge.target_block, (unordered.get(edge.target_block) ?? 0) + 1);
    pushTo(outgoing, edge.source_block, edge);
    pushTo(incoming, edge.target_block, edge);
  }
  const ready = [...unordered].filter(([, inDegree]) => inDegree === 0).map(([id]) => id);
  while (ready.length > 0) {
    const id = ready.pop()!;
    unordered.delete(id);
    for (const edge of outgoing.get(id) ?? []) {
      const inDegree = unordered.get(edge.target_block)! - 1;
      unordered.set(edge.target_block, inDegree);
      if (inDegree === 0) ready.push(edge.target_block);
    }
  }
  if (unordered.size === 0) return null;
  // Every block left has an edge coming in from another block left, so walking those edges backwards must revisit one.
  const walked: E[] = [];
  const stepOf = new Map<string, number>();
  let current = unordered.keys().next().value as string;
  while (!stepOf.has(current)) {
    stepOf.set(current, walked.length);
    const edge = incoming.get(current)!.find((candidate) => unordered.has(candidate.source_block))!;
    walked.push(edge);
    current = edge.source_block;
  }
  return walked.slice(stepOf.get(current)).reverse();
}
