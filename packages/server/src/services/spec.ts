import {
  exportWorkflowSpec,
  formatSpecPath,
  isoNow,
  newId,
  parseWorkflowSpec,
  planWorkflowSpec,
  retargetSpec,
  type DeclarativeApplyResponse,
  type DeclarativeExportResponse,
  type DeclarativePlanResponse,
  type DeclarativeValidationResponse,
  type DiagnosticIssue,
  type Diagnostics,
  type DraftState,
  type ParsedSpec,
  type PlanOperation,
  type WorkflowBlock,
} from '@verdict/core';
import type { Kysely } from 'kysely';
import { createError, type VerdictError } from '../errors/index.js';
import { blockFromRow, edgeFromRow, loadDraft } from '../store/graph.js';
import type { Database } from '../store/schema.js';
import { findWorkflowRow, insertWorkflow, requireWorkflowRow } from '../store/workflows.js';
import { inGraphTransaction, insertBlock, insertEdge, lockWorkflow, removeBlock, removeEdge, replaceBlock, type GraphWrite } from './graph.js';
import type { Services } from './index.js';
import { executeTestOperation, identifySpecFiles, loadDraftTests, storeSpecFiles } from './spec-tests.js';

interface CheckedSpec {
  spec: ParsedSpec;
  diagnostics: Diagnostics;
  foreign: Foreign;
}

/** Keeps `IN (…)` lists well under the bind-parameter limits of SQLite and PostgreSQL. */
const ID_BATCH = 500;

function batches<T>(items: T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / ID_BATCH) }, (_, index) => items.slice(index * ID_BATCH, (index + 1) * ID_BATCH));
}

function where(issue: DiagnosticIssue): string {
  if (issue.line !== null && issue.line !== undefined) return issue.path ? `line ${issue.line} (${issue.path})` : `line ${issue.line}`;
  return issue.path ?? 'yaml_definition';
}

/** 422 `validation_error` carrying the diagnostics; `details.issues` lists each error with its path and line. */
function invalidSpec(diagnostics: Diagnostics): VerdictError {
  const errors = diagnostics.issues.filter((issue) => issue.severity === 'error');
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''} in details.issues)` : '';
  const message = first ? `The workflow spec is invalid: ${where(first)}: ${first.message}${more}` : 'The workflow spec is invalid.';
  return createError('validation_error', message, {
    diagnostics,
    issues: errors.map((issue) => ({ path: issue.path ?? 'yaml_definition', line: issue.line ?? null, code: issue.code, message: issue.message })),
  });
}

async function foreignIds(db: Kysely<Database>, table: 'blocks' | 'edges', organizationId: string, workflowId: string, ids: string[]) {
  const rows = [];
  for (const batch of batches(ids)) {
    rows.push(
      ...(await db
        .selectFrom(table)
        .select(['id', 'workflow_id'])
        .where('organization_id', '=', organizationId)
        .where('workflow_id', '!=', workflowId)
        .where('id', 'in', batch)
        .execute()),
    );
  }
  return rows;
}

/** Ids of blocks and edges that other workflows of the organization hold, among those the spec writes. */
async function foreignSpecIds(db: Kysely<Database>, organizationId: string, workflowId: string, spec: ParsedSpec) {
  const edgeIds = spec.edges.flatMap((edge) => (edge.id ? [edge.id] : []));
  return {
    blocks: new Map((await foreignIds(db, 'blocks', organizationId, workflowId, [...spec.blocks.keys()])).map((row) => [row.id, row.workflow_id])),
    edges: new Map((await foreignIds(db, 'edges', organizationId, workflowId, edgeIds)).map((row) => [row.id, row.workflow_id])),
  };
}

type Foreign = Awaited<ReturnType<typeof foreignSpecIds>>;

function specIssue(code: string, path: string, message: string): DiagnosticIssue {
  return { severity: 'error', code, message, path, line: null };
}

/**
 * Block and edge ids are unique per organization: applied to the workflow its metadata names, a
 * spec cannot take ids another workflow holds (`foreign`; null when the apply renames them
 * instead), nor give two edges one id.
 */
function idIssues(spec: ParsedSpec, foreign: Foreign | null): DiagnosticIssue[] {
  const issues = [...(foreign?.blocks ?? [])].map(([id, holder]) =>
    specIssue('BLOCK_ID_CONFLICT', formatSpecPath(['spec', 'blocks', id]), `Block id "${id}" is already used by workflow "${holder}"; block ids are unique per organization (as in Retab), so two workflows cannot share one. ` +
        'Rename the block key in this spec (prefix it with the workflow, e.g. "invoices_check"), or apply it with POST /v1/workflows/{workflow_id}/spec/apply or with project_id, which give taken ids new ones.',
    ),
  );
  const seen = new Set<string>();
  spec.edges.forEach(({ id }, index) => {
    if (!id) return;
    const path = `spec.edges[${index}].id`;
    if (foreign?.edges.has(id)) issues.push(specIssue('EDGE_ID_CONFLICT', path, `Edge id "${id}" is already used by workflow "${foreign.edges.get(id)}"; edge ids are unique per organization.`));
    else if (seen.has(id)) issues.push(specIssue('DUPLICATE_EDGE_ID', path, `Two edges have the id "${id}"; leave edge ids out or make them unique.`));
    seen.add(id);
  });
  return issues;
}

/**
 * Where a spec goes. `named`: the workflow its metadata.id names, created if missing (Retab's SDKs
 * before 2026-06-04, and later ones that send no project). `new`: a new workflow in the project.
 * `existing`: that workflow's draft. For the last two the YAML's id is only where the spec came
 * from, and block ids another workflow holds are replaced (the spec id stays in
 * `declarative_source_block_id`).
 */
export type SpecTarget = { kind: 'named' } | { kind: 'new'; projectId: string } | { kind: 'existing'; workflowId: string };

export function specTarget(workflowId: string | undefined, projectId: string | null | undefined): SpecTarget {
  if (workflowId !== undefined) return { kind: 'existing', workflowId };
  return projectId ? { kind: 'new', projectId } : { kind: 'named' };
}

/** Parses the YAML and checks its ids for the target; any error-level issue is a 422. */
async function checkSpec(services: Services, organizationId: string, text: string, target: SpecTarget): Promise<CheckedSpec> {
  const { spec, diagnostics } = parseWorkflowSpec(text);
  if (!spec) throw invalidSpec(diagnostics);
  const foreign = await foreignSpecIds(services.store.db, organizationId, targetWorkflowId(target, spec), spec);
  const conflicts = [...idIssues(spec, target.kind === 'named' ? foreign : null), ...(await identifySpecFiles(services, organizationId, spec))];
  if (conflicts.length > 0) throw invalidSpec({ is_valid: false, issues: [...conflicts, ...diagnostics.issues] });
  return { spec, diagnostics, foreign };
}

/** The workflow whose own ids the spec may reuse: none for a workflow yet to be created. */
function targetWorkflowId(target: SpecTarget, spec: ParsedSpec): string {
  if (target.kind === 'existing') return target.workflowId;
  return target.kind === 'named' ? spec.metadata.id : '';
}

/** The stored tests are loaded only when the spec manages them (has `tests:`). */
async function loadDraftState(db: Kysely<Database>, organizationId: string, workflowId: string, spec: ParsedSpec): Promise<DraftState & { blocks: WorkflowBlock[] }> {
  const workflow = await findWorkflowRow(db, organizationId, workflowId);
  if (!workflow) return { workflow: null, blocks: [], edges: [], tests: [] };
  const draft = await loadDraft(db, organizationId, workflowId);
  const tests = spec.tests === null ? [] : await loadDraftTests(db, organizationId, workflowId);
  return { workflow, blocks: draft.blocks.map(blockFromRow), edges: draft.edges.map(edgeFromRow), tests };
}

export async function validateSpec(services: Services, organizationId: string, text: string, target: SpecTarget): Promise<DeclarativeValidationResponse> {
  const { spec, diagnostics } = await checkSpec(services, organizationId, text, target);
  return { workflow_id: spec.metadata.id, block_count: spec.blocks.size, edge_count: spec.edges.length, is_valid: diagnostics.is_valid, diagnostics };
}

/** The spec as it would be applied to `workflowId`, and the draft it would change (read in `db`). */
async function specFor(db: Kysely<Database>, organizationId: string, checked: CheckedSpec, target: SpecTarget, workflowId: string) {
  const current = await loadDraftState(db, organizationId, workflowId, checked.spec);
  if (target.kind === 'named') return { spec: checked.spec, current, authoredIds: new Map<string, string>() };
  const { spec, authoredIds } = retargetSpec(checked.spec, {
    workflowId,
    draftBlocks: current.blocks,
    foreignBlockIds: new Set(checked.foreign.blocks.keys()),
    foreignEdgeIds: new Set(checked.foreign.edges.keys()),
    newBlockId: () => newId('block'),
  });
  return { spec, current, authoredIds };
}

/**
 * The changes an apply would make; writes nothing. For a new workflow the plan shows the spec's
 * own ids (the apply replaces those another workflow holds).
 */
export async function planSpec(services: Services, organizationId: string, text: string, target: SpecTarget): Promise<DeclarativePlanResponse> {
  const checked = await checkSpec(services, organizationId, text, target);
  if (target.kind === 'existing') await requireWorkflowRow(services.store.db, organizationId, target.workflowId);
  const { spec, current } =
    target.kind === 'new'
      ? { spec: checked.spec, current: { workflow: null, blocks: [], edges: [], tests: [] } }
      : await specFor(services.store.db, organizationId, checked, target, targetWorkflowId(target, checked.spec));
  const { operations: _operations, ...plan } = planWorkflowSpec(spec, current);
  return { ...plan, diagnostics: checked.diagnostics };
}

interface SpecWrite extends GraphWrite {
  projectId: string | null;
  /** Stored block id → its id in the spec. */
  authoredIds: Map<string, string>;
}

async function execute(write: SpecWrite, operation: PlanOperation): Promise<unknown> {
  switch (operation.op) {
    case 'create_workflow':
      return insertWorkflow(write.trx, write.organizationId, { ...operation.workflow, project_id: write.projectId });
    case 'update_workflow':
      return write.trx
        .updateTable('workflows')
        .set({ name: operation.workflow.name, description: operation.workflow.description })
        .where('organization_id', '=', write.organizationId)
        .where('id', '=', write.workflowId)
        .execute();
    case 'delete_edge':
      return removeEdge(write, operation.edge_id);
    case 'create_block':
      return insertBlock(write, operation.block, write.authoredIds.get(operation.block.id) ?? operation.block.id);
    case 'update_block':
      return replaceBlock(write, operation.block, write.authoredIds.get(operation.block.id) ?? operation.block.id);
    case 'delete_block':
      return removeBlock(write, operation.block_id);
    case 'create_edge':
      return insertEdge(write, operation.edge);
    case 'create_test':
    case 'update_test':
    case 'delete_test':
      return executeTestOperation(write, operation);
  }
}

/**
 * Makes the target's draft match the spec in one transaction under the workflow's lock, creating
 * the workflow if needed. The plan is made inside that transaction, so applying the same spec
 * twice gives a no-op the second time.
 */
export async function applySpec(services: Services, organizationId: string, text: string, target: SpecTarget): Promise<DeclarativeApplyResponse> {
  const checked = await checkSpec(services, organizationId, text, target);
  // Test files are stored first: a file the store refuses stops the apply before anything is written.
  const fileIssues = await storeSpecFiles(services, organizationId, checked.spec);
  if (fileIssues.length > 0) throw invalidSpec({ is_valid: false, issues: [...fileIssues, ...checked.diagnostics.issues] });
  const workflowId = target.kind === 'new' ? newId('workflow') : targetWorkflowId(target, checked.spec);
  return inGraphTransaction(services, async (trx) => {
    const locked = await lockWorkflow(trx, organizationId, workflowId);
    if (!locked && target.kind === 'existing') await requireWorkflowRow(trx, organizationId, workflowId); // throws workflow_not_found
    const { spec, current, authoredIds } = await specFor(trx, organizationId, checked, target, workflowId);
    const write: SpecWrite = { trx, organizationId, workflowId, now: isoNow(), projectId: target.kind === 'new' ? target.projectId : null, authoredIds };
    const { operations, ...plan } = planWorkflowSpec(spec, current);
    for (const operation of operations) await execute(write, operation);
    if (operations.length > 0) await lockWorkflow(trx, organizationId, workflowId, write.now);
    return { ...plan, diagnostics: checked.diagnostics, created: current.workflow === null };
  });
}

/** The draft as canonical YAML, with the workflow's tests as `spec.tests` cases when it has any. */
export async function exportSpec(services: Services, organizationId: string, workflowId: string): Promise<DeclarativeExportResponse> {
  const db = services.store.db;
  const workflow = await requireWorkflowRow(db, organizationId, workflowId);
  const draft = await loadDraft(db, organizationId, workflowId);
  const tests = await loadDraftTests(db, organizationId, workflowId);
  const yaml = exportWorkflowSpec(workflow, draft.blocks.map(blockFromRow), draft.edges.map(edgeFromRow), tests.length > 0 ? tests : undefined);
  return { workflow_id: workflowId, yaml_definition: yaml };
}
