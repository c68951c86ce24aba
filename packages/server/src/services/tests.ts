import {
  captureSchemaDep,
  deriveHandles,
  isoNow,
  newId,
  testSourceFingerprint,
  parsePath,
  validateCondition,
  type AssertionSpec,
  type AssertionSpecInput,
  type BlockConfig,
  type BlockState,
  type BlockType,
  type CreateWorkflowTestRequest,
  type SavedSchemaDep,
  type UpdateWorkflowTestRequest,
  type WorkflowTest,
  type WorkflowTestSource,
  type CapturedRunStepSource,
  TESTABLE_BLOCK_TYPES,
} from '@verdict/core';
import type { Kysely, Selectable } from 'kysely';
import { createError, type ValidationIssue } from '../errors/index.js';
import { fromJson, toJson } from '../store/database.js';
import { findBlockRow, loadDraft } from '../store/graph.js';
import type { BlocksTable, Database } from '../store/schema.js';
import { countTestsByWorkflow, listTestRows, listTestsWithLatestResult, requireTestRow, testsFromRows, type TestRow } from '../store/tests.js';
import type { KeysetRequest } from '../store/keyset.js';
import { requireWorkflowRow } from '../store/workflows.js';
import type { Services } from './index.js';
import { captureStep, checkedHandleInputs } from './step-capture.js';

type BlockRow = Selectable<BlocksTable>;

function handlesOf(block: BlockRow) {
  return deriveHandles(block.type as BlockType, fromJson<BlockConfig>(block.config));
}

function isTestable(type: string): boolean {
  return (TESTABLE_BLOCK_TYPES as readonly string[]).includes(type);
}

/** The blocks of the workflow's draft as drift and freshness read them. */
function draftBlocks(blocks: BlockRow[]): Map<string, BlockState> {
  return new Map(blocks.map((block) => [block.id, blockState(block)]));
}

function blockState(block: BlockRow): BlockState {
  return { type: block.type as BlockType, config: fromJson<BlockConfig>(block.config), parent_id: block.parent_id };
}

/** The one place tests are turned into what the API serves (under /tests and /evals alike). */
async function servedTests(db: Kysely<Database>, organizationId: string, workflowId: string, rows: TestRow[]): Promise<WorkflowTest[]> {
  const { blocks } = await loadDraft(db, organizationId, workflowId);
  return testsFromRows(db, organizationId, workflowId, rows, draftBlocks(blocks));
}

/** What the assertion depends on in the block's output schema as it is saved now. */
/** What a test's assertion depends on in its block's output schema as saved now (drift is measured from it). */
export function savedDep(block: BlockRow, assertion: AssertionSpec, now: string): string {
  const saved: SavedSchemaDep = { dep: captureSchemaDep(blockState(block), assertion.target), captured_at: now };
  return toJson(saved);
}

function assertionIssues(block: BlockRow, assertion: AssertionSpecInput): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const outputs = handlesOf(block).outputs.map((handle) => handle.id);
  if (!outputs.includes(assertion.target.output_handle_id)) {
    issues.push({
      path: 'body.assertion.target.output_handle_id',
      message: `\`${assertion.target.output_handle_id}\` is not an output handle of block \`${block.id}\`; its output handles are ${outputs.map((id) => `\`${id}\``).join(', ') || 'none'}`,
    });
  }
  const path = parsePath(assertion.target.path);
  if (!path.ok) issues.push({ path: 'body.assertion.target.path', message: path.message });
  for (const problem of validateCondition(assertion.condition)) {
    issues.push({ path: ['body.assertion.condition', ...problem.path].join('.'), message: problem.message });
  }
  return issues;
}

/** A source as a test saves it: a run_step source with the inputs its step recorded, files normalised in both kinds. */
async function sourceIssues(services: Services, organizationId: string, block: BlockRow, source: WorkflowTestSource): Promise<{ issues: ValidationIssue[]; normalized: WorkflowTestSource }> {
  if (source.type === 'run_step') {
    const captured = await captureStep(services, organizationId, block, source, 'body.source');
    if (captured.refusal) {
      const { issue, availableIterations } = captured.refusal;
      throw createError('validation_error', `Invalid source: ${issue.message}.`, { issues: [issue], ...(availableIterations ? { available_iterations: availableIterations } : {}) });
    }
    const normalized: CapturedRunStepSource = { type: 'run_step', run_id: source.run_id, step_id: captured.stepId, handle_inputs: captured.inputs };
    return { issues: captured.issues, normalized };
  }
  const checked = await checkedHandleInputs(services.files, organizationId, block, source.handle_inputs, 'body.source.handle_inputs');
  return { issues: checked.issues, normalized: { type: 'manual', handle_inputs: checked.inputs } };
}

function finalAssertion(assertion: AssertionSpecInput): AssertionSpec {
  return { id: assertion.id ?? newId('assertion'), target: { output_handle_id: assertion.target.output_handle_id, path: assertion.target.path ?? null }, condition: assertion.condition, label: assertion.label ?? null };
}

function refuse(issues: ValidationIssue[]): never {
  throw createError('validation_error', `Invalid test: \`${issues[0]!.path}\`: ${issues[0]!.message}.`, { issues });
}

export async function createTest(services: Services, organizationId: string, request: CreateWorkflowTestRequest): Promise<WorkflowTest> {
  const db = services.store.db;
  await requireWorkflowRow(db, organizationId, request.workflow_id);
  const block = await findBlockRow(db, organizationId, request.target.block_id, request.workflow_id);
  if (!block) refuse([{ path: 'body.target.block_id', message: `workflow \`${request.workflow_id}\` has no block \`${request.target.block_id}\`` }]);
  if (!isTestable(block.type)) {
    refuse([{ path: 'body.target.block_id', message: `block \`${block.id}\` is a ${block.type} block, which cannot be tested; testable types are ${TESTABLE_BLOCK_TYPES.join(', ')}` }]);
  }
  const { issues: inputIssues, normalized } = await sourceIssues(services, organizationId, block, request.source);
  const issues = [...assertionIssues(block, request.assertion), ...inputIssues];
  if (issues.length > 0) refuse(issues);
  const now = isoNow();
  const assertion = finalAssertion(request.assertion);
  const row: TestRow = {
    id: newId('test'),
    organization_id: organizationId,
    workflow_id: request.workflow_id,
    block_id: block.id,
    name: request.name ?? null,
    source: toJson(normalized),
    handle_inputs_fingerprint: testSourceFingerprint(normalized),
    assertion: toJson(assertion),
    assertion_schema_dep: savedDep(block, assertion, now),
    latest_result_id: null,
    latest_passing_result_id: null,
    latest_failing_result_id: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('tests').values(row).execute();
  return (await servedTests(db, organizationId, request.workflow_id, [row]))[0]!;
}

export async function updateTest(services: Services, organizationId: string, testId: string, request: UpdateWorkflowTestRequest): Promise<WorkflowTest> {
  const db = services.store.db;
  const row = await requireTestRow(db, organizationId, testId);
  const block = await findBlockRow(db, organizationId, row.block_id, row.workflow_id);
  const changes: Partial<TestRow> = {};
  const now = isoNow();
  if (request.name !== undefined) changes.name = request.name;
  if (request.assertion !== undefined || request.source !== undefined) {
    if (!block) refuse([{ path: 'body', message: `block \`${row.block_id}\` is no longer in the workflow; the test's assertion and source cannot change until it is restored` }]);
    const issues: ValidationIssue[] = [];
    if (request.assertion) {
      issues.push(...assertionIssues(block, request.assertion));
      const assertion = finalAssertion(request.assertion);
      changes.assertion = toJson(assertion);
      changes.assertion_schema_dep = savedDep(block, assertion, now);
    }
    if (request.source) {
      const checked = await sourceIssues(services, organizationId, block, request.source);
      issues.push(...checked.issues);
      changes.source = toJson(checked.normalized);
      changes.handle_inputs_fingerprint = testSourceFingerprint(checked.normalized);
    }
    if (issues.length > 0) refuse(issues);
  }
  const next = { ...row, ...changes, updated_at: now };
  await db.updateTable('tests').set({ ...changes, updated_at: next.updated_at }).where('id', '=', testId).execute();
  return (await servedTests(db, organizationId, row.workflow_id, [next]))[0]!;
}

export async function getTest(services: Services, organizationId: string, testId: string): Promise<WorkflowTest> {
  const row = await requireTestRow(services.store.db, organizationId, testId);
  return (await servedTests(services.store.db, organizationId, row.workflow_id, [row]))[0]!;
}

export async function listTests(services: Services, organizationId: string, filter: { workflowId: string; blockId?: string }, request: KeysetRequest) {
  const db = services.store.db;
  await requireWorkflowRow(db, organizationId, filter.workflowId);
  const page = await listTestRows(db, organizationId, filter, request);
  return { data: await servedTests(db, organizationId, filter.workflowId, page.data), list_metadata: page.list_metadata };
}

/** Result rows of past runs are kept: runs are history, and their counts must keep adding up. */
export async function deleteTest(services: Services, organizationId: string, testId: string): Promise<void> {
  await requireTestRow(services.store.db, organizationId, testId);
  await services.store.db.deleteFrom('tests').where('id', '=', testId).where('organization_id', '=', organizationId).execute();
}

/** A test as the workflow page lists it: what it checks and how its latest run went. */
export interface TestOverview {
  id: string;
  name: string | null;
  blockId: string;
  assertion: AssertionSpec | null;
  latest: { resultId: string; status: string; verdict: string | null; completedAt: string | null } | null;
}

/** A workflow's tests in creation order, with their latest results. */
export async function testsWithLatestResult(services: Services, organizationId: string, workflowId: string, limit: number): Promise<TestOverview[]> {
  const rows = await listTestsWithLatestResult(services.store.db, organizationId, workflowId, limit);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    blockId: row.block_id,
    assertion: fromJson<AssertionSpec>(row.assertion),
    latest: row.result_id && row.status ? { resultId: row.result_id, status: row.status, verdict: row.verdict, completedAt: row.completed_at } : null,
  }));
}

/** How many tests each of the workflows has (a workflow without tests is left out). */
export async function testCountsByWorkflow(services: Services, organizationId: string, workflowIds: string[]): Promise<Map<string, number>> {
  return countTestsByWorkflow(services.store.db, organizationId, workflowIds);
}
