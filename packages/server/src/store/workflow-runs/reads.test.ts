import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import type { Store } from '../database.js';
import { onEachStore } from '../../testing/run-state.js';
import { listWorkflowArtifacts, listWorkflowRuns, listWorkflowSteps } from './reads.js';

/** The SQLite plan of every select a read makes: what it runs, captured on its way to the store, then explained. */
async function plansOf(store: Store, read: (db: Store['db']) => Promise<unknown>): Promise<string[]> {
  const captured: { node: RootOperationNode; queryId: Parameters<KyselyPlugin['transformQuery']>[0]['queryId'] }[] = [];
  const capture: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      captured.push({ node, queryId });
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await read(store.db.withPlugin(capture));
  const plans: string[] = [];
  for (const { node, queryId } of captured) {
    const compiled = store.db.getExecutor().compileQuery(node, queryId);
    const { rows } = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    plans.push(rows.map((row) => row.detail).join(' | '));
  }
  return plans;
}

onEachStore('the lists of one run', (store, kind) => {
  test('find the run\'s steps and artifacts by the run\'s own index, not by reading every row of the organization', { skip: kind !== 'sqlite' && 'the plans asserted are SQLite\'s' }, async () => {
    const page = { limit: 20, order: 'desc' as const };
    const stepPlans = await plansOf(store(), (db) => listWorkflowSteps(db, 'org_1', { run_id: 'wfrun_1' }, page));
    const artifactPlans = await plansOf(store(), (db) => listWorkflowArtifacts(db, 'org_1', { run_id: 'wfrun_1' }, { ...page, order: 'asc' }));
    assert.match(stepPlans[0]!, /USING INDEX workflow_run_steps_of_run \(run_id=\?\)/, stepPlans[0]);
    assert.match(artifactPlans[0]!, /USING INDEX workflow_artifacts_of_run \(run_id=\?\)/, artifactPlans[0]);
    // Without a run, the organization's index serves the order.
    const [allSteps] = await plansOf(store(), (db) => listWorkflowSteps(db, 'org_1', {}, page));
    assert.match(allSteps!, /USING INDEX workflow_run_steps_by_created \(organization_id=\?\)/, allSteps);
  });
});

onEachStore('the runs list by start, by end and by search', (store, kind) => {
  test('pages by started_at / completed_at through their indexes, and searches through the trigram table', { skip: kind !== 'sqlite' && 'the plans asserted are SQLite\'s' }, async () => {
    const page = { limit: 20, order: 'desc' as const };
    for (const sortBy of ['started_at', 'completed_at'] as const) {
      const short = sortBy.replace('_at', '');
      const [ofOrganization] = await plansOf(store(), (db) => listWorkflowRuns(db, 'org_1', { sort_by: sortBy }, page));
      assert.match(ofOrganization!, new RegExp(`USING INDEX workflow_runs_by_${short} \\(organization_id=\\?\\)`), ofOrganization);
      assert.doesNotMatch(ofOrganization!, /TEMP B-TREE/, 'the index gives the order');
      const [ofWorkflow] = await plansOf(store(), (db) => listWorkflowRuns(db, 'org_1', { sort_by: sortBy, workflow_id: 'wf_1' }, page));
      assert.match(ofWorkflow!, new RegExp(`USING INDEX workflow_runs_of_workflow_by_${short} \\(organization_id=\\? AND workflow_id=\\?\\)`), ofWorkflow);
      assert.doesNotMatch(ofWorkflow!, /TEMP B-TREE/, ofWorkflow);
    }
    const [search] = await plansOf(store(), (db) => listWorkflowRuns(db, 'org_1', { search: 'acme' }, page));
    assert.match(search!, /SCAN workflow_run_search VIRTUAL TABLE INDEX 0:L/, search);
  });
});
