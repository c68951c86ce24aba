/**
 * Why did it change (issue 23): a test's history, the comparison of a run with a base run, and the
 * stability of tests. The store reads rows; core's history rules classify them.
 */
import {
  changedDependencies,
  CHANGE_KINDS,
  type ComparisonSummary,
  type FingerprintKind,
  type Workflow,
  type WorkflowBlock,
  type WorkflowTest,
  CHANGE_ORDER,
  classifyChange,
  isTerminal,
  type LifecycleStatus,
  isFlakyChange,
  runOutcome,
  summarize,
  type ChangeKind,
  type RunChange,
  type RunComparison,
} from '@verdict/core';
import { createError } from '../errors/index.js';
import { blockFromRow, findBlockRow } from '../store/graph.js';
import { comparedRowsIn, comparedRowsOfRun, comparisonGroups, findDefaultBaseRun, listLatestResultsOfTest, testNamesById, type ComparedRow, type ComparisonGroup } from '../store/history.js';
import type { KeysetRequest } from '../store/keyset.js';
import { listResultsOfTest } from '../store/results.js';
import { findRunRow, type RunRow } from '../store/runs.js';
import { requireTestRow } from '../store/tests.js';
import type { Services } from './index.js';
import { getTest } from './tests.js';
import { findWorkflow } from './workflows.js';

/** One of the organization's tests' results across runs, newest first by default. */
export async function testHistory(services: Services, organizationId: string, testId: string, page: KeysetRequest) {
  const db = services.store.db;
  await requireTestRow(db, organizationId, testId);
  return listResultsOfTest(db, organizationId, testId, page);
}

export interface ComparisonRequest {
  /** The run to compare with; by default the latest earlier finished run of the workflow sharing a test. */
  base?: string;
  change?: ChangeKind;
  limit: number;
  /** `list_metadata.after` of the previous page: the kind and test id of its last change (`kind:test_id`). */
  after?: string;
}

async function requireRun(services: Services, organizationId: string, runId: string): Promise<RunRow> {
  const row = await findRunRow(services.store.db, organizationId, runId);
  if (!row) throw createError('run_not_found', runId);
  return row;
}

async function resolveBase(services: Services, organizationId: string, run: RunRow, base: string | undefined): Promise<string | null> {
  if (base === undefined) return findDefaultBaseRun(services.store.db, organizationId, run);
  const baseRun = await requireRun(services, organizationId, base);
  const issue = (message: string) => createError('validation_error', message, { issues: [{ path: 'query.base', message }] });
  if (baseRun.id === run.id) throw issue('A run cannot be compared with itself: pass an earlier run of the same workflow as base.');
  if (baseRun.workflow_id !== run.workflow_id) {
    throw issue(`Run \`${base}\` belongs to workflow \`${baseRun.workflow_id}\`, not \`${run.workflow_id}\`: compare runs of one workflow.`);
  }
  return baseRun.id;
}

type UnnamedChange = Omit<RunChange, 'test_name'>;

function changeOf(before: ComparedRow | null, after: ComparedRow | null): UnnamedChange {
  const beforeOutcome = before ? runOutcome(before.status, before.verdict) : null;
  const afterOutcome = after ? runOutcome(after.status, after.verdict) : null;
  const changed = before && after ? changedDependencies(before, after) : [];
  return {
    test_id: (after ?? before)!.test_id,
    block_id: (after ?? before)!.block_id,
    before: beforeOutcome,
    after: afterOutcome,
    change: classifyChange(beforeOutcome, afterOutcome),
    changed,
    flaky: isFlakyChange(beforeOutcome, afterOutcome, changed),
    before_result_id: before?.id ?? null,
    after_result_id: after?.id ?? null,
  };
}

/** A group the database counted, classified by core's rules: its dependencies stand in as "equal" or "different" values. */
function classifyGroup(group: ComparisonGroup) {
  const side = (status: string | null, verdict: string | null) => (status === null ? null : runOutcome(status, verdict));
  const before = side(group.b_status, group.b_verdict);
  const after = side(group.a_status, group.a_verdict);
  const dependencies = (differs: (same: boolean) => string) => ({
    handle_inputs_fingerprint: differs(group.same_inputs),
    block_config_fingerprint: differs(group.same_block),
    assertion: differs(group.same_assertion),
    workflow_draft_fingerprint: differs(group.same_draft),
  });
  const changed = before !== null && after !== null ? changedDependencies(dependencies(() => 'x'), dependencies((same) => (same ? 'x' : 'y'))) : [];
  const change = classifyChange(before, after);
  return {
    change,
    flaky: isFlakyChange(before, after, changed),
    count: group.count,
    states: { run: { status: group.a_status, verdict: group.a_verdict }, base: { status: group.b_status, verdict: group.b_verdict } },
  };
}

/** `list_metadata.after` of a comparison: the kind and test id of the page's last change. */
function parseCursor(after: string | undefined): { kind: ChangeKind; testId: string } | null {
  if (after === undefined) return null;
  const separator = after.indexOf(':');
  const kind = after.slice(0, separator) as ChangeKind;
  if (separator < 0 || !CHANGE_KINDS.includes(kind)) {
    throw createError('validation_error', `The cursor \`${after}\` is not a test of this comparison; pass list_metadata.after of the previous page.`, {
      issues: [{ path: 'query.after', message: 'unknown cursor' }],
    });
  }
  return { kind, testId: after.slice(separator + 1) };
}

/** A comparison without test names: all of it is final once both runs are (names are read fresh each time). */
interface UnnamedComparison {
  baseRunId: string | null;
  summary: ComparisonSummary;
  changes: UnnamedChange[];
  after: string | null;
}

/** Entries used least recently go first once their total weight passes `capacity`. */
class WeightedLru<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const weight = this.weigh(value);
    if (weight > this.capacity) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.total -= previous.weight;
    }
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.total <= this.capacity) break;
      this.entries.delete(oldestKey);
      this.total -= oldest.weight;
    }
  }
}

/** Organizations whose comparisons are kept, and how many changes each may keep (a page holds at most 1,000). */
const CACHED_ORGANIZATIONS = 64;
const CACHED_CHANGES_PER_ORGANIZATION = 20_000;

/**
 * Comparisons of two finished runs, per server and organization. A terminal run never changes
 * (docs/decisions.md §4; deleting a test keeps its results), so nothing here is ever stale: only
 * test names can change, and they are not kept.
 */
const comparisonCaches = new WeakMap<Services, WeightedLru<WeightedLru<UnnamedComparison>>>();

function cacheOf(services: Services, organizationId: string): WeightedLru<UnnamedComparison> {
  let organizations = comparisonCaches.get(services);
  if (!organizations) {
    organizations = new WeightedLru(CACHED_ORGANIZATIONS, () => 1);
    comparisonCaches.set(services, organizations);
  }
  let cache = organizations.get(organizationId);
  if (!cache) {
    cache = new WeightedLru(CACHED_CHANGES_PER_ORGANIZATION, (comparison) => comparison.changes.length + 1);
    organizations.set(organizationId, cache);
  }
  return cache;
}

const isFinished = (run: RunRow) => isTerminal(run.status as LifecycleStatus);

/**
 * Every test of either run, classified, in the order that needs attention first (new failures,
 * fixes, …, passes). The database counts the joined rows by what decides their change (a few
 * dozen groups) for the summary, and reads only one page of rows, kind by kind, by test id.
 * Pages of two finished runs are kept in memory (see `comparisonCaches`).
 */
export async function compareRuns(services: Services, organizationId: string, runId: string, request: ComparisonRequest): Promise<RunComparison> {
  const run = await requireRun(services, organizationId, runId);
  const baseRunId = await resolveBase(services, organizationId, run, request.base);
  const baseRun = baseRunId === null ? null : await findRunRow(services.store.db, organizationId, baseRunId);
  const cacheable = isFinished(run) && (baseRunId === null || (baseRun !== undefined && baseRun !== null && isFinished(baseRun)));
  const key = JSON.stringify([run.id, baseRunId, request.change ?? null, request.after ?? null, request.limit]);
  const cache = cacheable ? cacheOf(services, organizationId) : null;
  let comparison = cache?.get(key);
  if (!comparison) {
    comparison = await classifyRuns(services, run, baseRunId, request);
    cache?.set(key, comparison);
  }
  const names = await testNamesById(services.store.db, organizationId, comparison.changes.map((change) => change.test_id));
  return {
    run_id: run.id,
    base_run_id: comparison.baseRunId,
    summary: comparison.summary,
    changes: comparison.changes.map((change) => ({ ...change, test_name: names.get(change.test_id) ?? null })),
    list_metadata: { before: null, after: comparison.after },
  };
}

async function classifyRuns(services: Services, run: RunRow, baseRunId: string | null, request: ComparisonRequest): Promise<UnnamedComparison> {
  const db = services.store.db;
  const cursor = parseCursor(request.after);
  const kinds = [...CHANGE_KINDS]
    .sort((a, b) => CHANGE_ORDER[a] - CHANGE_ORDER[b])
    .filter((kind) => (request.change === undefined || kind === request.change) && (cursor === null || CHANGE_ORDER[kind] >= CHANGE_ORDER[cursor.kind]));
  const afterIn = (kind: ChangeKind) => (cursor?.kind === kind ? cursor.testId : '');

  let summary: ComparisonSummary;
  const collected: UnnamedChange[] = [];
  if (baseRunId === null) {
    // Nothing to compare with: every test of the run is added.
    summary = summarize([{ change: 'added', flaky: false, count: run.total_tests }]);
    if (kinds.includes('added')) collected.push(...(await comparedRowsOfRun(db, run.id, afterIn('added'), request.limit + 1)).map((row) => changeOf(null, row)));
  } else {
    const groups = (await comparisonGroups(db, run.id, baseRunId)).map(classifyGroup);
    summary = summarize(groups);
    for (const kind of kinds) {
      const wanted = request.limit + 1 - collected.length;
      if (wanted <= 0) break;
      const states = groups.filter((group) => group.change === kind).map((group) => group.states);
      const rows = await comparedRowsIn(db, run.id, baseRunId, states, afterIn(kind), wanted);
      collected.push(...rows.map(({ run: mine, base }) => changeOf(base, mine)));
    }
  }
  const changes = collected.slice(0, request.limit);
  const last = changes.at(-1);
  return { baseRunId, summary, changes, after: collected.length > request.limit && last ? `${last.change}:${last.test_id}` : null };
}

/** The run a run is compared with by default (see `findDefaultBaseRun`), or null. */
export async function defaultBaseRunId(services: Services, organizationId: string, runId: string): Promise<string | null> {
  return resolveBase(services, organizationId, await requireRun(services, organizationId, runId), undefined);
}

/** One past result of a test, as its page lists them. */
export interface TestHistoryItem {
  resultId: string;
  runId: string;
  /** What this result depended on that differs from the result before it (empty for the oldest listed). */
  changed: FingerprintKind[];
  status: string;
  verdict: string | null;
  createdAt: string;
  completedAt: string | null;
  /** The block's execution time, without the queue (issue 24 item 10). */
  durationMs: number | null;
}

export interface TestDescription {
  test: WorkflowTest;
  workflow: Workflow | null;
  /** Null when the block was removed from the draft since the test was written. */
  block: WorkflowBlock | null;
  recentResults: TestHistoryItem[];
}

/** A test with its workflow, its block as the draft has it now, and its latest results: for the test's page. */
export async function describeTest(services: Services, organizationId: string, testId: string, resultLimit: number): Promise<TestDescription> {
  const db = services.store.db;
  const test = await getTest(services, organizationId, testId);
  const [workflow, blockRow, rows] = await Promise.all([
    findWorkflow(services, organizationId, test.workflow_id),
    findBlockRow(db, organizationId, test.target.block_id, test.workflow_id),
    listLatestResultsOfTest(db, organizationId, testId, resultLimit),
  ]);
  const recentResults = rows.map((row, index) => ({
    resultId: row.id,
    changed: rows[index + 1] ? changedDependencies(rows[index + 1]!, row) : [],
    runId: row.run_id,
    status: row.status,
    verdict: row.verdict,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    durationMs: row.duration_ms,
  }));
  return { test, workflow, block: blockRow ? blockFromRow(blockRow) : null, recentResults };
}
