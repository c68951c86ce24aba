import type { Condition } from '../../assertions/conditions.js';
import type { AssertionSpec } from '../../assertions/spec.js';
import type { FileDocumentInput } from '../../schemas/files.js';
import type { BlockConfig, BlockType } from '../../schemas/workflows.js';
import { EdgeChecker, type ResolvedEdge } from '../edges.js';

export const SPEC_API_VERSION = 'workflows.retab.com/v1alpha2';
export const SPEC_KIND = 'Workflow';
export const PLAN_FORMAT_VERSION = 'workflows-plan/v1';
export const DEFAULT_WORKFLOW_NAME = 'Untitled Workflow';

/** A workflow as the store holds it; rows of the wire `Workflow` fit. */
export interface DraftWorkflow {
  id: string;
  name: string;
  description: string;
}
/** A draft block as the store holds it; rows of the wire `WorkflowBlock` fit. */
export interface DraftBlock {
  id: string;
  type: BlockType;
  label: string;
  position_x: number;
  position_y: number;
  width: number | null;
  height: number | null;
  config: BlockConfig | null;
  parent_id: string | null;
}
export interface DraftEdge {
  id: string;
  source_block: string;
  source_handle: string | null;
  target_block: string;
  target_handle: string | null;
}

/** A block as the spec writes it (under `spec.blocks.<id>`), with every default filled in. */
export interface SpecBlock {
  type: BlockType;
  label: string;
  position: { x: number; y: number };
  width: number | null;
  height: number | null;
  parent_id: string | null;
  config: BlockConfig;
}
/** An edge of the spec: identified by its endpoints; `id` only names an edge the apply creates. */
export interface SpecEdge extends ResolvedEdge {
  id: string | null;
}
/** What makes two files the same input: the bytes and the name the block sees, not where they are stored. */
export interface FileIdentity {
  filename: string;
  sha256: string;
}
/** A test's input on one handle; the server fills `identity` of file inputs before planning. */
export type SpecTestInput =
  | { type: 'json'; data: unknown }
  | { type: 'file'; document: FileDocumentInput; identity?: FileIdentity };

export interface SpecAssertion {
  target: { output_handle_id: string; path: string | null };
  condition: Condition;
  label: string | null;
}
/** One assertion of a `spec.tests` case: one stored test, identified by its name. */
export interface SpecTest {
  name: string;
  case_name: string;
  /** Whether the name was written (`name:`) rather than derived from the case and the assertion. */
  named: boolean;
  block_id: string;
  handle_inputs: Record<string, SpecTestInput>;
  assertion: SpecAssertion;
  /** Where the assertion is written, e.g. spec.tests[2].assert[1]. */
  path: Array<string | number>;
}
/** A stored test as the plan compares it. */
export interface DraftTest {
  id: string;
  name: string | null;
  block_id: string;
  handle_inputs: Record<string, SpecTestInput>;
  assertion: AssertionSpec;
}
export interface ParsedSpec {
  /** `name` and `description` are absent when the spec leaves them to the stored workflow. */
  metadata: { id: string; name?: string; description?: string };
  blocks: Map<string, SpecBlock>;
  edges: SpecEdge[];
  /** Null when the spec has no `tests:` key: the workflow's tests are then left as they are. */
  tests: SpecTest[] | null;
}

export function specBlockOf(block: DraftBlock): SpecBlock {
  return {
    type: block.type,
    label: block.label,
    position: { x: block.position_x, y: block.position_y },
    width: block.width ?? null,
    height: block.height ?? null,
    parent_id: block.parent_id ?? null,
    config: block.config ?? {},
  };
}

export function draftBlockOf(id: string, block: SpecBlock): DraftBlock {
  return {
    id,
    type: block.type,
    label: block.label,
    position_x: block.position.x,
    position_y: block.position.y,
    width: block.width,
    height: block.height,
    config: block.config,
    parent_id: block.parent_id,
  };
}

/** Stored edges with their handles made explicit (legacy edges may lack them); unresolvable handles stay null. */
export function explicitEdges(blocks: DraftBlock[], edges: DraftEdge[]): DraftEdge[] {
  const checker = new EdgeChecker(blocks);
  return edges.map((edge) => {
    const resolved = checker.resolve(edge);
    return resolved.ok ? { ...edge, ...resolved.edge } : edge;
  });
}

export function edgeSortKey(edge: { source_block: string; source_handle: string | null; target_block: string; target_handle: string | null }): string {
  return JSON.stringify([edge.source_block, edge.source_handle, edge.target_block, edge.target_handle]);
}

/** `a.b[0]["odd.key"]`: how diagnostics and plans print a path into the spec. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join('');
}

/**
 * How many containers enclose each block (0 at the top level), in one pass over the parent_id
 * links. Blocks on a parent_id loop are reported in `looped` and given the depth of the walk so far.
 */
export function containerDepths(parents: Map<string, { parent_id: string | null }>): { depths: Map<string, number>; looped: Set<string> } {
  const depths = new Map<string, number>();
  const looped = new Set<string>();
  for (const start of parents.keys()) {
    const walk: string[] = [];
    const onWalk = new Set<string>();
    let current: string | null = start;
    while (current !== null && parents.has(current) && !depths.has(current) && !onWalk.has(current)) {
      walk.push(current);
      onWalk.add(current);
      current = parents.get(current)!.parent_id;
    }
    if (current !== null && onWalk.has(current)) for (const id of walk.slice(walk.indexOf(current))) looped.add(id);
    let depth = current !== null && depths.has(current) ? depths.get(current)! + 1 : 0;
    for (const id of walk.reverse()) depths.set(id, looped.has(id) ? 0 : depth++);
  }
  return { depths, looped };
}
