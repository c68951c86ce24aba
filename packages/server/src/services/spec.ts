import {
  exportWorkflowSpec,
  isoNow,
  parseWorkflowSpec,
  planWorkflowSpec,
  type DeclarativeApplyResponse,
  type DeclarativeExportResponse,
  type DeclarativePlanResponse,
  type DeclarativeValidationResponse,
  type DiagnosticIssue,
  type Diagnostics,
  type DraftState,
  type ParsedSpec,
  type PlanOperation,
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
}

/** Keeps `IN (…)` lists well under the bind-parameter limits of SQLite and PostgreSQL. */
const ID_BATCH = 500;

function batches<T>(items: T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / ID_BATCH) }, (_, index) => items.slice(index * ID_BATCH, (index + 1) * ID_BATCH));
}

/** The spec path of a block, written as the parser writes paths. */
function blockPath(blockId: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(blockId) ? `spec.blocks.${blockId}` : `spec.blocks[${JSON.stringify(blockId)}]`;
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

/** Block and edge ids are unique per organization: a spec cannot take ids another workflow holds, nor give two edges one id. */
async function idIssues(db: Kysely<Database>, organizationId: string, spec: ParsedSpec): Promise<DiagnosticIssue[]> {
  const workflowId = spec.metadata.id;
  const edgeIds = spec.edges.flatMap((edge, index) => (edge.id ? [{ id: edge.id, index }] : []));
  const issue = (code: string, path: string, message: string): DiagnosticIssue => ({ severity: 'error', code, message, path, line: null });
  const issues = (await foreignIds(db, 'blocks', organizationId, workflowId, [...spec.blocks.keys()])).map((row) =>
    issue('BLOCK_ID_CONFLICT', blockPath(row.id), `Block id "${row.id}" is already used by workflow "${row.workflow_id}"; block ids are unique per organization.`),
  );
  const foreignEdges = new Map((await foreignIds(db, 'edges', organizationId, workflowId, edgeIds.map((edge) => edge.id))).map((row) => [row.id, row.workflow_id]));
  const seen = new Set<string>();
  for (const { id, index } of edgeIds) {
    const path = `spec.edges[${index}].id`;
    if (foreignEdges.has(id)) issues.push(issue('EDGE_ID_CONFLICT', path, `Edge id "${id}" is already used by workflow "${foreignEdges.get(id)}"; edge ids are unique per organization.`));
    else if (seen.has(id)) issues.push(issue('DUPLICATE_EDGE_ID', path, `Two edges have the id "${id}"; leave edge ids out or make them unique.`));
    seen.add(id);
  }
  return issues;
}

/** Parses the YAML and checks it against the organization's ids and files; any error-level issue is a 422. */
async function checkSpec(services: Services, organizationId: string, text: string): Promise<CheckedSpec> {
  const { spec, diagnostics } = parseWorkflowSpec(text);
  if (!spec) throw invalidSpec(diagnostics);
  const conflicts = [...(await idIssues(services.store.db, organizationId, spec)), ...(await identifySpecFiles(services, organizationId, spec))];
  if (conflicts.length > 0) throw invalidSpec({ is_valid: false, issues: [...conflicts, ...diagnostics.issues] });
  return { spec, diagnostics };
}

/** The stored tests are loaded only when the spec manages them (has `tests:`). */
async function loadDraftState(db: Kysely<Database>, organizationId: string, spec: ParsedSpec): Promise<DraftState> {
  const workflowId = spec.metadata.id;
  const workflow = await findWorkflowRow(db, organizationId, workflowId);
  if (!workflow) return { workflow: null, blocks: [], edges: [], tests: [] };
  const draft = await loadDraft(db, organizationId, workflowId);
  const tests = spec.tests === null ? [] : await loadDraftTests(db, organizationId, workflowId);
  return { workflow, blocks: draft.blocks.map(blockFromRow), edges: draft.edges.map(edgeFromRow), tests };
}

export async function validateSpec(services: Services, organizationId: string, text: string): Promise<DeclarativeValidationResponse> {
  const { spec, diagnostics } = await checkSpec(services, organizationId, text);
  return { workflow_id: spec.metadata.id, block_count: spec.blocks.size, edge_count: spec.edges.length, is_valid: diagnostics.is_valid, diagnostics };
}

/** The changes an apply would make to the current draft of `metadata.id`; writes nothing. */
export async function planSpec(services: Services, organizationId: string, text: string): Promise<DeclarativePlanResponse> {
  const { spec, diagnostics } = await checkSpec(services, organizationId, text);
  const { operations: _operations, ...plan } = planWorkflowSpec(spec, await loadDraftState(services.store.db, organizationId, spec));
  return { ...plan, diagnostics };
}

async function execute(write: GraphWrite, operation: PlanOperation): Promise<unknown> {
  switch (operation.op) {
    case 'create_workflow':
      return insertWorkflow(write.trx, write.organizationId, operation.workflow);
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
      return insertBlock(write, operation.block);
    case 'update_block':
      return replaceBlock(write, operation.block);
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
 * Makes the draft of `metadata.id` and its tests match the spec in one transaction under the
 * workflow's lock, creating the workflow if needed. The plan is made inside that transaction, so
 * applying the same spec twice gives a no-op the second time. Test files are stored first: a file
 * the store refuses stops the apply before anything is written.
 */
export async function applySpec(services: Services, organizationId: string, text: string): Promise<DeclarativeApplyResponse> {
  const { spec, diagnostics } = await checkSpec(services, organizationId, text);
  const fileIssues = await storeSpecFiles(services, organizationId, spec);
  if (fileIssues.length > 0) throw invalidSpec({ is_valid: false, issues: [...fileIssues, ...diagnostics.issues] });
  const workflowId = spec.metadata.id;
  return inGraphTransaction(services, async (trx) => {
    const write: GraphWrite = { trx, organizationId, workflowId, now: isoNow() };
    await lockWorkflow(trx, organizationId, workflowId);
    const current = await loadDraftState(trx, organizationId, spec);
    const { operations, ...plan } = planWorkflowSpec(spec, current);
    for (const operation of operations) await execute(write, operation);
    if (operations.length > 0) await lockWorkflow(trx, organizationId, workflowId, write.now);
    return { ...plan, diagnostics, created: current.workflow === null };
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
