import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeForSuite, temporaryStore, testStores } from '../testing/harness.js';
import { pingStore } from './database.js';
import { insertWorkflow, listWorkflowNames } from './workflows.js';

for (const kind of testStores()) {
  describe(`workflow names and the store's readiness (${kind})`, () => {
    const suite = storeForSuite(kind, 'workflows');

    test("listWorkflowNames: the organization's workflows by name, then id", async () => {
      await insertWorkflow(suite.db, 'org_names', { id: 'wf_3', name: 'Invoices', description: '' });
      await insertWorkflow(suite.db, 'org_names', { id: 'wf_1', name: 'Receipts', description: '' });
      await insertWorkflow(suite.db, 'org_names', { id: 'wf_2', name: 'Invoices', description: '' });
      await insertWorkflow(suite.db, 'org_names_other', { id: 'wf_4', name: 'Alpha', description: '' });

      assert.deepEqual(await listWorkflowNames(suite.db, 'org_names'), [
        { id: 'wf_2', name: 'Invoices' },
        { id: 'wf_3', name: 'Invoices' },
        { id: 'wf_1', name: 'Receipts' },
      ]);
    });

    test('pingStore answers while the store is open', async () => {
      await pingStore(suite.db);
    });
  });
}

test('pingStore rejects once the store is closed', async () => {
  const temporary = await temporaryStore('sqlite', 'ping-closed');
  await temporary.store.close();
  await assert.rejects(pingStore(temporary.store.db));
  await temporary.remove().catch(() => undefined);
});
