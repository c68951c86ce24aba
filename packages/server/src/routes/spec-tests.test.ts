import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { starterSpec } from '@verdict/core';
import { startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

const NOTE = Buffer.from('Invoice INV-4: total 120').toString('base64');

/** A start_json → function workflow and a document reader, with tests of both in `spec.tests`. */
function specWithTests(workflowId: string, options: { label?: string; upper?: number; withSmall?: boolean; fileUrl?: string } = {}): string {
  const small = `    - name: small invoice
      block: ${workflowId}_total
      inputs: { input-json-0: { stated_total: 1, line_items: [] } }
      assert:
        - { path: is_valid, kind: equals, expected: false }
`;
  return `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: ${workflowId}, name: Invoices}
spec:
  blocks:
    ${workflowId}_in: {type: start_json, position: {x: 0, y: 0}}
    ${workflowId}_total:
      type: function
      label: ${options.label ?? 'Validate total'}
      position: {x: 300, y: 0}
      config:
        language: javascript
        output_schema: {type: object}
        code: |
          function transform(input) {
            const total = input.line_items.reduce((sum, item) => sum + item.amount, 0) * (1 + (input.tax_rate ?? 0));
            return { is_valid: Math.abs(total - input.stated_total) < 0.01, computed_total: total };
          }
    ${workflowId}_read:
      type: extract
      position: {x: 300, y: 200}
      config: {json_schema: {type: object, properties: {total: {type: number}}}}
  edges:
    - from: {block: ${workflowId}_in, handle: output-json-0}
      to: {block: ${workflowId}_total, handle: input-json-0}
  tests:
    - name: large invoice
      block: ${workflowId}_total
      inputs:
        input-json-0: { invoice_id: INV-4, tax_rate: 0.2, stated_total: 120, line_items: [{ amount: 100 }] }
      assert:
        - { path: is_valid, kind: equals, expected: true }
        - { path: computed_total, kind: between, lower: 119, upper: ${options.upper ?? 121} }
${options.withSmall === false ? '' : small}    - name: scanned note
      block: ${workflowId}_read
      inputs:
        input-file-document: { file: { filename: note.txt, url: "${options.fileUrl ?? `data:text/plain;base64,${NOTE}`}" } }
      assert:
        - { path: total, kind: exists }
`;
}

for (const store of testStores()) {
  describe(`spec.tests (${store})`, () => {
    let app: TestApp;
    const post = async (action: string, yaml: string, status = 200) => {
      const response = await app.request('POST', `/v1/workflows/spec/${action}`, { yaml_definition: yaml });
      assert.equal(response.status, status, JSON.stringify(response.body));
      return response.body;
    };
    const testsOf = async (workflowId: string) => {
      const response = await app.request('GET', `/v1/workflows/tests?workflow_id=${workflowId}&limit=100&order=asc`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data as Array<{ id: string; name: string; target: { block_id: string }; source: any; assertion: any }>;
    };
    const exported = async (workflowId: string) => (await app.request('GET', `/v1/workflows/spec/${workflowId}`)).body.yaml_definition as string;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('apply creates one test per assertion; re-applying, and applying the export, plan no change', async () => {
      const yaml = specWithTests('wf_rt');
      const plan = await post('plan', yaml);
      const testChanges = plan.resource_changes.filter((c: { target: string }) => c.target === 'test');
      assert.deepEqual(
        testChanges.map((c: { target_id: string; actions: string[]; path: string }) => [c.target_id, c.actions.join(), c.path]),
        [
          ['large invoice · equals is_valid', 'create', 'spec.tests[0].assert[0]'],
          ['large invoice · between computed_total', 'create', 'spec.tests[0].assert[1]'],
          ['small invoice · equals is_valid', 'create', 'spec.tests[1].assert[0]'],
          ['scanned note · exists total', 'create', 'spec.tests[2].assert[0]'],
        ],
      );
      assert.match(plan.rendered_plan, /\+ test "large invoice · equals is_valid"/);
      assert.equal((await testsOf('wf_rt').catch(() => [])).length, 0, 'plan writes nothing');

      const applied = await post('apply', yaml);
      assert.equal(applied.summary.add, 1 + 3 + 1 + 4);
      const tests = await testsOf('wf_rt');
      assert.deepEqual(tests.map((t) => t.name), ['large invoice · equals is_valid', 'large invoice · between computed_total', 'small invoice · equals is_valid', 'scanned note · exists total']);
      assert.equal(tests[3]!.source.handle_inputs['input-file-document'].document.filename, 'note.txt');
      assert.match(tests[3]!.source.handle_inputs['input-file-document'].document.gcs_uri, /^verdict-blob:|[0-9a-f]{64}/);

      assert.equal((await post('plan', yaml)).action, 'noop', 're-applying the same YAML changes nothing');
      assert.equal((await post('apply', yaml)).summary.has_changes, false);
      const files = await app.app.services.store.db.selectFrom('files').select('id').where('filename', '=', 'note.txt').execute();
      assert.equal(files.length, 1, 're-applying records no new file');

      const yamlOut = await exported('wf_rt');
      assert.match(yamlOut, /  tests:\n    - name: large invoice\n      block: wf_rt_total\n/);
      assert.match(yamlOut, /file:\n\s+id: file_\w+\n\s+filename: note.txt\n/);
      const again = await post('plan', yamlOut);
      assert.equal(again.action, 'noop', again.rendered_plan);
      assert.equal(again.summary.has_changes, false);
      assert.deepEqual((await testsOf('wf_rt')).map((t) => t.id), tests.map((t) => t.id));
    });

    test('an edit updates the test in place, a removed case deletes its tests', async () => {
      await post('apply', specWithTests('wf_edit'));
      const before = await testsOf('wf_edit');
      const plan = await post('apply', specWithTests('wf_edit', { upper: 125, withSmall: false }));
      assert.deepEqual([plan.summary.add, plan.summary.change, plan.summary.destroy], [0, 1, 1]);
      const after = await testsOf('wf_edit');
      assert.deepEqual(after.map((t) => t.id), [before[0]!.id, before[1]!.id, before[3]!.id]);
      assert.equal(after[1]!.assertion.condition.upper, 125);
      assert.equal(after[1]!.assertion.id, before[1]!.assertion.id, 'the assertion keeps its id');
    });

    test('a failing test validation leaves nothing applied, blocks included', async () => {
      await post('apply', specWithTests('wf_atomic'));
      const tests = await testsOf('wf_atomic');
      const label = async () => (await app.request('GET', `/v1/workflows/blocks/wf_atomic_total`)).body.label;

      const unknownField = await post('apply', specWithTests('wf_atomic', { label: 'Renamed', upper: 130 }).replace('kind: exists', 'kind: exists, lable: x'), 422);
      assert.match(unknownField.detail.message, /spec\.tests\[2\]\.assert\[0\]\.lable.*did you mean "label"/);

      const badFile = await post('apply', specWithTests('wf_atomic', { label: 'Renamed', upper: 130, fileUrl: 'data:text/plain;base64,' }), 422);
      assert.match(badFile.detail.message, /spec\.tests\[2\]\.inputs\.input-file-document\.file/);

      const missingRef = specWithTests('wf_atomic', { label: 'Renamed' }).replace(/\{ filename: note\.txt, url: "[^"]+" \}/, '{ id: file_nope, filename: x.txt, mime_type: text/plain }');
      const refused = await post('plan', missingRef, 422);
      assert.match(refused.detail.message, /no file with this id/);

      assert.equal(await label(), 'Validate total');
      assert.deepEqual(await testsOf('wf_atomic'), tests);
    });

    test('a spec without tests: leaves the stored tests alone; tests: [] deletes them', async () => {
      await post('apply', specWithTests('wf_keep'));
      const withoutTests = specWithTests('wf_keep').replace(/ {2}tests:\n[\s\S]*$/, '');
      assert.equal((await post('plan', withoutTests)).action, 'noop');
      const cleared = await post('apply', `${withoutTests}  tests: []\n`);
      assert.equal(cleared.summary.destroy, 4);
      assert.deepEqual(await testsOf('wf_keep'), []);
    });

    test('the starter YAML of verdict init applies, and its three tests pass', async () => {
      const applied = await post('apply', starterSpec('t1'));
      assert.equal(applied.summary.add, 1 + 2 + 1 + 3);
      const run = await waitForRun(app, (await startRun(app, 'wf_invoices_t1')).id);
      assert.equal(run.lifecycle.status, 'completed');
      assert.deepEqual(run.counts.outcome, { passed: 3, failed: 0, blocked: 0 });
      assert.equal((await post('apply', starterSpec('t2'))).created, true, 'a second starter does not collide with the first');
    });
  });
}
