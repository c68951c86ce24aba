import { canonicalJson } from '../../canonical.js';
import type { BlockType, DeclarativePlanResourceChange, DeclarativePlanResponse, DeclarativePlanSummary } from '../../schemas/workflows.js';
import type { ResolvedEdge } from '../edges.js';
import { sortedBy } from '../sort.js';
import { fieldChanges } from './diff.js';
import {
  containerDepths,
  DEFAULT_WORKFLOW_NAME,
  draftBlockOf,
  edgeSortKey,
  explicitEdges,
  formatPath,
  PLAN_FORMAT_VERSION,
  specBlockOf,
  type DraftBlock,
  type DraftEdge,
  type DraftTest,
  type DraftWorkflow,
  type ParsedSpec,
  type SpecBlock,
  type SpecEdge,
  type SpecTest,
} from './model.js';
import { renderPlan } from './render.js';

/** What the server executes, in this order, in one transaction; every write carries the full new values. */
export type PlanOperation =
  | { op: 'create_workflow'; workflow: DraftWorkflow }
  | { op: 'update_workflow'; workflow: DraftWorkflow }
  | { op: 'delete_edge'; edge_id: string }
  | { op: 'create_block'; block: DraftBlock }
  /** Also used when the type changes (a "replace"): the block keeps its id, and the edges it keeps are valid for the new type. */
  | { op: 'update_block'; block: DraftBlock }
  | { op: 'delete_block'; block_id: string }
  | { op: 'create_edge'; edge: ResolvedEdge & { id: string | null } }
  | { op: 'delete_test'; test_id: string }
  | { op: 'create_test'; test: SpecTest }
  /** Keeps the test's id, history and assertion id; everything else takes the spec's values. */
  | { op: 'update_test'; test_id: string; assertion_id: string; test: SpecTest };

export interface DraftState {
  workflow: DraftWorkflow | null;
  blocks: DraftBlock[];
  edges: DraftEdge[];
  /** The workflow's stored tests, in creation order; only compared when the spec has `tests:`. */
  tests?: DraftTest[];
}

export type WorkflowPlan = Omit<DeclarativePlanResponse, 'diagnostics'> & { operations: PlanOperation[] };

type Actions = DeclarativePlanResourceChange['actions'];
interface Planned {
  resource: DeclarativePlanResourceChange | null;
  operation: PlanOperation | null;
  /** Parents are created before their children and deleted after them. */
  depth: number;
}
const PHASES: Record<PlanOperation['op'], number> = {
  create_workflow: 0,
  update_workflow: 0,
  delete_edge: 1,
  create_block: 2,
  update_block: 3,
  delete_block: 4,
  create_edge: 5,
  delete_test: 6,
  create_test: 7,
  update_test: 7,
};
const UNCHANGED: Planned = { resource: null, operation: null, depth: 0 };

interface ResourceArgs {
  address: string;
  target: DeclarativePlanResourceChange['target'];
  target_id: string;
  name: string;
  type: DeclarativePlanResourceChange['type'];
  actions: Actions;
  /** Receives the changed fields, e.g. "label, config.model". */
  summary: (changedFields: string) => string;
  before: unknown;
  after: unknown;
  path: string | null;
}

function resourceChange(args: ResourceArgs): DeclarativePlanResourceChange {
  const { before, after, summary, ...rest } = args;
  const field_changes = fieldChanges(before ?? {}, after ?? {});
  const paths = field_changes.map((change) => change.path_display);
  const changed = paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
  return { ...rest, summary: summary(changed), change: { before, after, before_sensitive: false, after_sensitive: false, field_changes } };
}

function workflowView(workflow: DraftWorkflow) {
  return { name: workflow.name, description: workflow.description };
}

function planWorkflow(desired: ParsedSpec['metadata'], current: DraftWorkflow | null): Planned {
  const after: DraftWorkflow = {
    id: desired.id,
    name: desired.name ?? current?.name ?? DEFAULT_WORKFLOW_NAME,
    description: desired.description ?? current?.description ?? '',
  };
  if (current && canonicalJson(workflowView(current)) === canonicalJson(workflowView(after))) return UNCHANGED;
  const action = current ? 'update' : 'create';
  const resource = resourceChange({
    address: `workflow.${desired.id}`,
    target: 'workflow',
    target_id: desired.id,
    name: after.name,
    type: 'workflow',
    actions: [action],
    summary: (changed) => (current ? `Update workflow "${desired.id}": ${changed}` : `Create workflow "${desired.id}" (${after.name})`),
    before: current && workflowView(current),
    after: workflowView(after),
    path: 'metadata',
  });
  return { resource, operation: { op: action === 'create' ? 'create_workflow' : 'update_workflow', workflow: after }, depth: 0 };
}

function blockActions(before: SpecBlock | undefined, after: SpecBlock | undefined): Actions {
  if (!before) return ['create'];
  if (!after) return ['delete'];
  return before.type === after.type ? ['update'] : ['delete', 'create'];
}

function blockSummary(id: string, before: SpecBlock | undefined, after: SpecBlock | undefined, changed: string): string {
  if (!before) return `Create ${after!.type} block "${id}"`;
  if (!after) return `Delete ${before.type} block "${id}"`;
  if (before.type !== after.type) return `Replace block "${id}" (${before.type} -> ${after.type})`;
  return `Update ${after.type} block "${id}": ${changed}`;
}

function blockOperation(id: string, actions: Actions, after: SpecBlock | undefined): PlanOperation {
  if (!after) return { op: 'delete_block', block_id: id };
  return { op: actions[0] === 'create' ? 'create_block' : 'update_block', block: draftBlockOf(id, after) };
}

function planBlock(workflowId: string, id: string, before: SpecBlock | undefined, after: SpecBlock | undefined, depth: number): Planned {
  if (before && after && canonicalJson(before) === canonicalJson(after)) return UNCHANGED;
  const actions = blockActions(before, after);
  const resource = resourceChange({
    address: `workflow.${workflowId}.block.${id}`,
    target: 'block',
    target_id: id,
    name: (after ?? before)!.label || id,
    type: (after ?? before)!.type as BlockType,
    actions,
    summary: (changed) => blockSummary(id, before, after, changed),
    before: before ?? null,
    after: after ?? null,
    path: after ? formatPath(['spec', 'blocks', id]) : null,
  });
  return { resource, operation: blockOperation(id, actions, after), depth };
}

function planBlocks(desired: ParsedSpec, current: DraftBlock[]): Planned[] {
  const currentBlocks = new Map(current.map((block) => [block.id, specBlockOf(block)]));
  const ids = sortedBy(new Set([...currentBlocks.keys(), ...desired.blocks.keys()]), (id) => id);
  const desiredDepths = containerDepths(desired.blocks).depths;
  const currentDepths = containerDepths(currentBlocks).depths;
  return ids.map((id) => {
    const before = currentBlocks.get(id);
    const after = desired.blocks.get(id);
    const depth = after ? desiredDepths.get(id)! : -currentDepths.get(id)!;
    return planBlock(desired.metadata.id, id, before, after, depth);
  });
}

function edgeName(edge: ResolvedEdge | DraftEdge): string {
  return `${edge.source_block}.${edge.source_handle} -> ${edge.target_block}.${edge.target_handle}`;
}

function edgeView(edge: ResolvedEdge | DraftEdge) {
  return { from: { block: edge.source_block, handle: edge.source_handle }, to: { block: edge.target_block, handle: edge.target_handle } };
}

function edgeResource(workflowId: string, edge: ResolvedEdge | DraftEdge, action: 'create' | 'delete', path: string | null, targetId: string) {
  const view = edgeView(edge);
  return resourceChange({
    address: `workflow.${workflowId}.edge.${edge.source_block}:${edge.source_handle}->${edge.target_block}:${edge.target_handle}`,
    target: 'edge',
    target_id: targetId,
    name: edgeName(edge),
    type: 'edge',
    actions: [action],
    summary: () => `${action === 'create' ? 'Create' : 'Delete'} edge ${edgeName(edge)}`,
    before: action === 'delete' ? view : null,
    after: action === 'create' ? view : null,
    path,
  });
}

/** Edges are identified by their endpoints: an edge whose endpoints are unchanged is unchanged, whatever its id. */
function planEdges(desired: ParsedSpec, current: DraftState): Planned[] {
  const workflowId = desired.metadata.id;
  const currentByKey = new Map(explicitEdges(current.blocks, current.edges).map((edge) => [edgeSortKey(edge), edge]));
  const desiredKeys = new Set(desired.edges.map(edgeSortKey));
  const deletions = sortedBy([...currentByKey.values()].filter((edge) => !desiredKeys.has(edgeSortKey(edge))), edgeSortKey).map(
    (edge): Planned => ({
      resource: edgeResource(workflowId, edge, 'delete', null, edge.id),
      operation: { op: 'delete_edge', edge_id: edge.id },
      depth: 0,
    }),
  );
  const creations = desired.edges.map((edge: SpecEdge, index): Planned => {
    if (currentByKey.has(edgeSortKey(edge))) return UNCHANGED;
    const { id, ...endpoints } = edge;
    return {
      resource: edgeResource(workflowId, endpoints, 'create', formatPath(['spec', 'edges', index]), id ?? edgeName(endpoints)),
      operation: { op: 'create_edge', edge: { id, ...endpoints } },
      depth: 0,
    };
  });
  return [...deletions, ...creations];
}

/** What a test checks and on what: files compare by the identity the server gave them (bytes and name), not by where they are stored. */
function testView(test: SpecTest | DraftTest) {
  const inputs = Object.fromEntries(
    Object.entries(test.handle_inputs).map(([handle, input]) => [handle, input.type === 'json' ? { json: input.data } : { file: input.identity ?? input.document }]),
  );
  const { target, condition, label } = test.assertion;
  return { block: test.block_id, inputs, output: target.output_handle_id, path: target.path ?? null, condition, label: label ?? null };
}

function testResource(workflowId: string, name: string, action: 'create' | 'update' | 'delete', before: unknown, after: SpecTest | null): DeclarativePlanResourceChange {
  const verb = { create: 'Create', update: 'Update', delete: 'Delete' }[action];
  return resourceChange({
    address: `workflow.${workflowId}.test.${name}`,
    target: 'test',
    target_id: name,
    name,
    type: 'test',
    actions: [action],
    summary: (changed) => `${verb} test "${name}"${action === 'update' ? `: ${changed}` : ''}`,
    before,
    after: after && testView(after),
    path: after && formatPath(after.path),
  });
}

/**
 * Tests are identified by name (spec names are unique; derived ones are `<case> · <kind> <path>`):
 * the first stored test of a name is compared with the spec's, and stored tests the spec does not
 * name are deleted. A spec without `tests:` leaves the stored tests alone.
 */
function planTests(desired: ParsedSpec, current: DraftTest[]): Planned[] {
  if (desired.tests === null) return [];
  const workflowId = desired.metadata.id;
  const byName = new Map<string, DraftTest>();
  for (const test of current) if (test.name !== null && !byName.has(test.name)) byName.set(test.name, test);
  const kept = new Set<string>();
  const planned = desired.tests.map((test): Planned => {
    const stored = byName.get(test.name);
    if (!stored) return { resource: testResource(workflowId, test.name, 'create', null, test), operation: { op: 'create_test', test }, depth: 0 };
    kept.add(stored.id);
    const before = testView(stored);
    if (canonicalJson(before) === canonicalJson(testView(test))) return UNCHANGED;
    return {
      resource: testResource(workflowId, test.name, 'update', before, test),
      operation: { op: 'update_test', test_id: stored.id, assertion_id: stored.assertion.id, test },
      depth: 0,
    };
  });
  const deletions = current
    .filter((test) => !kept.has(test.id))
    .map((test): Planned => ({
      resource: testResource(workflowId, test.name ?? test.id, 'delete', testView(test), null),
      operation: { op: 'delete_test', test_id: test.id },
      depth: 0,
    }));
  return [...planned, ...deletions];
}

function summarize(planned: Planned[]): DeclarativePlanSummary {
  const count = (wanted: string) => planned.filter((p) => p.resource?.actions.join(',') === wanted).length;
  const summary = { add: count('create'), change: count('update'), destroy: count('delete'), replace: count('delete,create') };
  const noop = planned.filter((p) => p.resource === null).length;
  const changes = summary.add + summary.change + summary.destroy + summary.replace;
  return { ...summary, noop, total: changes + noop, has_changes: changes > 0 };
}

function operationOrder(a: Planned, b: Planned): number {
  return PHASES[a.operation!.op] - PHASES[b.operation!.op] || a.depth - b.depth;
}

/**
 * Compares a parsed spec with the stored draft (`current.workflow` null when metadata.id names no
 * workflow yet) and returns the plan response fields plus the operations that make the draft match.
 * Applying the operations and planning again gives a no-op.
 */
export function planWorkflowSpec(desired: ParsedSpec, current: DraftState): WorkflowPlan {
  const planned = [
    planWorkflow(desired.metadata, current.workflow),
    ...planBlocks(desired, current.blocks),
    ...planEdges(desired, current),
    ...planTests(desired, current.tests ?? []),
  ];
  const summary = summarize(planned);
  const resource_changes = planned.flatMap((p) => (p.resource ? [p.resource] : []));
  return {
    workflow_id: desired.metadata.id,
    action: current.workflow === null ? 'create' : summary.has_changes ? 'update' : 'noop',
    block_count: desired.blocks.size,
    edge_count: desired.edges.length,
    format_version: PLAN_FORMAT_VERSION,
    summary,
    resource_changes,
    rendered_plan: renderPlan(desired.metadata.id, current.workflow === null, resource_changes, summary),
    operations: planned.filter((p) => p.operation).sort(operationOrder).map((p) => p.operation!),
  };
}
