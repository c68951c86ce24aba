import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

const CODE = `// keeps the total
function transform(input) {
  return { total: input.total };
}`;

/** A workflow with containers, routes, named inputs and odd labels, built through the block and edge API. */
async function buildWorkflow(app: TestApp): Promise<string> {
  const workflow = await app.request('POST', '/v1/workflows', { name: 'Invoices: triage #1', description: 'Line one\nline two' });
  const workflowId: string = workflow.body.id;
  const block = async (body: Record<string, unknown>) => {
    const response = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, ...body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };
  const edge = async (source_block: string, source_handle: string, target_block: string, target_handle: string) => {
    const response = await app.request('POST', '/v1/workflows/edges', { workflow_id: workflowId, source_block, source_handle, target_block, target_handle });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  };
  const doc = await block({ type: 'start_document', label: 'Upload: PDF # scanned', position_x: -10.5, position_y: 3 });
  const router = await block({ type: 'classifier', config: { categories: [{ name: 'Invoice' }, { name: 'Credit Note', description: 'yes: "quoted"' }] } });
  const extract = await block({
    type: 'extract',
    width: 320,
    height: 200,
    config: { inputs: [{ name: 'document', type: 'file' }, { name: 'hints', type: 'json' }], json_schema: { type: 'object', properties: { total: { type: 'number' } } }, n_consensus: 1 },
  });
  const hints = await block({ type: 'start_json', label: 'true' });
  const loop = await block({ type: 'for_each', config: { map_method: 'split_by_page' } });
  const fn = await block({ type: 'function', parent_id: loop, config: { language: 'javascript', code: CODE, output_schema: { type: 'object' }, timeout_seconds: 5 } });
  await edge(doc, 'output-file-0', router, 'input-file-document');
  await edge(router, 'output-file-invoice', extract, 'input-file-document');
  await edge(hints, 'output-json-0', extract, 'input-json-hints');
  await edge(router, 'output-file-credit-note', loop, 'input-file-0');
  await edge(extract, 'output-json-0', fn, 'input-json-0');
  return workflowId;
}

const SPEC = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata:
  id: wf_spec_applied
  name: Receipts
spec:
  blocks:
    doc_in:
      type: start_document
      position: {x: 0, y: 0}
    read_receipt:
      type: extract
      label: Read receipt
      config:
        json_schema: {type: object, properties: {total: {type: number}}}
    check_total:
      type: function
      config:
        code: "function transform(input) { return { ok: input.total > 0 }; }"
        output_schema: {type: object}
  edges:
    - from: {block: doc_in, handle: output-file-0}
      to: {block: read_receipt, handle: input-file-document}
    - from: {block: read_receipt, handle: output-json-0}
      to: {block: check_total, handle: input-json-0}
`;

const BEFORE_CHANGES = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: wf_spec_changes, name: Original}
spec:
  blocks:
    c_source: {type: start_document}
    c_read: {type: extract, label: Read receipt}
    c_check:
      type: function
      config: {code: "function transform(i) { return i; }", output_schema: {type: object}}
  edges:
    - {from: {block: c_source, handle: output-file-0}, to: {block: c_read, handle: input-file-document}}
    - {from: {block: c_read, handle: output-json-0}, to: {block: c_check, handle: input-json-0}}
`;

/** c_source changes type, c_read gains a JSON input and a new label, c_check goes, c_notes comes. */
const AFTER_CHANGES = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: wf_spec_changes, name: Changed}
spec:
  blocks:
    c_source: {type: start_json}
    c_read:
      type: extract
      label: Read the receipt
      config: {inputs: [{name: context, type: json}]}
    c_notes: {type: note}
  edges:
    - {from: {block: c_source, handle: output-json-0}, to: {block: c_read, handle: input-json-context}}
`;

for (const store of testStores()) {
  describe(`workflow spec (${store})`, () => {
    let app: TestApp;
    const post = (action: string, yaml: unknown, headers?: Record<string, string>) =>
      app.request('POST', `/v1/workflows/spec/${action}`, { yaml_definition: yaml }, headers);
    const exported = async (workflowId: string) => {
      const response = await app.request('GET', `/v1/workflows/spec/${workflowId}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.workflow_id, workflowId);
      return response.body.yaml_definition as string;
    };
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('export, then validate, plan and apply the export: nothing to change', async () => {
      const workflowId = await buildWorkflow(app);
      const yaml = await exported(workflowId);
      assert.match(yaml, /^apiVersion: workflows\.retab\.com\/v1alpha2\nkind: Workflow\n/);
      assert.equal(await exported(workflowId), yaml, 'export is deterministic');
      assert.equal((await app.request('GET', `/v1/workflows/${workflowId}/spec`)).body.yaml_definition, yaml, 'the path of later SDKs exports too');

      const validated = await post('validate', yaml);
      assert.equal(validated.status, 200);
      assert.deepEqual(
        [validated.body.workflow_id, validated.body.block_count, validated.body.edge_count, validated.body.is_valid],
        [workflowId, 6, 5, true],
      );
      const plan = await post('plan', yaml);
      assert.equal(plan.status, 200);
      assert.equal(plan.body.action, 'noop');
      assert.equal(plan.body.summary.has_changes, false);
      assert.deepEqual(plan.body.resource_changes, []);
      assert.equal(plan.body.rendered_plan, 'No changes. Workflow spec is up to date.');

      const before = (await app.request('GET', `/v1/workflows/${workflowId}`)).body;
      const applied = await post('apply', yaml);
      assert.equal(applied.status, 200);
      assert.deepEqual([applied.body.action, applied.body.created], ['noop', false]);
      assert.deepEqual((await app.request('GET', `/v1/workflows/${workflowId}`)).body, before, 'a no-op apply writes nothing');
    });

    test('apply creates a missing workflow with the spec ids, then is idempotent', async () => {
      const planned = await post('plan', SPEC);
      assert.equal(planned.status, 200);
      assert.equal(planned.body.action, 'create');
      assert.deepEqual([planned.body.summary.add, planned.body.summary.destroy], [6, 0]);
      assert.equal((await app.request('GET', '/v1/workflows/wf_spec_applied')).status, 404, 'plan writes nothing');

      const first = await post('apply', SPEC);
      assert.equal(first.status, 200);
      assert.deepEqual([first.body.workflow_id, first.body.action, first.body.created, first.body.block_count, first.body.edge_count], ['wf_spec_applied', 'create', true, 3, 2]);
      const workflow = await app.request('GET', '/v1/workflows/wf_spec_applied');
      assert.equal(workflow.body.name, 'Receipts');
      const check = await app.request('GET', '/v1/workflows/blocks/check_total?workflow_id=wf_spec_applied');
      assert.deepEqual([check.body.type, check.body.input_handles], ['function', ['input-json-0']]);
      const edges = await app.request('GET', '/v1/workflows/edges?workflow_id=wf_spec_applied&target_block=check_total');
      assert.deepEqual(edges.body.data.map((e: { source_block: string; source_handle: string }) => [e.source_block, e.source_handle]), [['read_receipt', 'output-json-0']]);

      const second = await post('apply', SPEC);
      assert.deepEqual([second.body.action, second.body.created, second.body.summary.has_changes], ['noop', false, false]);
      assert.equal((await app.request('GET', '/v1/workflows/wf_spec_applied')).body.updated_at, workflow.body.updated_at);
      assert.equal((await post('plan', await exported('wf_spec_applied'))).body.action, 'noop');
    });

    test('apply reconciles a changed spec: update, replace, delete and connect in one go', async () => {
      const id = 'wf_spec_changes';
      assert.equal((await post('apply', BEFORE_CHANGES)).status, 200);
      const plan = await post('plan', AFTER_CHANGES);
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      assert.equal(plan.body.action, 'update');
      const actions = Object.fromEntries(plan.body.resource_changes.map((c: { target_id: string; actions: string[] }) => [c.target_id, c.actions.join(',')]));
      assert.deepEqual(
        [actions[id], actions.c_source, actions.c_read, actions.c_check, actions.c_notes],
        ['update', 'delete,create', 'update', 'delete', 'create'],
      );
      assert.deepEqual([plan.body.summary.add, plan.body.summary.change, plan.body.summary.replace], [2, 2, 1]);
      assert.match(plan.body.rendered_plan, /must be replaced/);

      const applied = await post('apply', AFTER_CHANGES);
      assert.equal(applied.status, 200, JSON.stringify(applied.body));
      assert.deepEqual([applied.body.action, applied.body.created], ['update', false]);
      assert.equal((await app.request('GET', `/v1/workflows/${id}`)).body.name, 'Changed');
      const blocks = await app.request('GET', `/v1/workflows/blocks?workflow_id=${id}`);
      assert.deepEqual(blocks.body.data.map((b: { id: string }) => b.id).sort(), ['c_notes', 'c_read', 'c_source']);
      assert.equal((await app.request('GET', '/v1/workflows/blocks/c_source')).body.type, 'start_json');
      const read = (await app.request('GET', '/v1/workflows/blocks/c_read')).body;
      assert.deepEqual([read.label, read.input_handles], ['Read the receipt', ['input-json-context']]);
      const edges = (await app.request('GET', `/v1/workflows/edges?workflow_id=${id}`)).body.data;
      assert.deepEqual(
        edges.map((e: Record<string, string>) => `${e.source_block}.${e.source_handle}->${e.target_block}.${e.target_handle}`),
        ['c_source.output-json-0->c_read.input-json-context'],
      );
      assert.equal((await app.request('GET', '/v1/workflows/blocks/c_check')).status, 404);
      assert.equal((await post('plan', AFTER_CHANGES)).body.action, 'noop');
      assert.equal((await post('plan', await exported(id))).body.action, 'noop');
    });

    test('invalid YAML is a 422 whose diagnostics name the line', async () => {
      const cases: Array<[string, string, RegExp]> = [
        ['garbage', 'apiVersion: workflows.retab.com/v1alpha2\nkind: Workflow\nmetadata: {id: x\nspec: ]]]', /INVALID_YAML/],
        ['tabs', 'apiVersion: workflows.retab.com/v1alpha2\nkind: Workflow\nmetadata:\n\tid: wf_tabs\n', /INVALID_YAML/],
        ['wrong apiVersion', SPEC.replace('v1alpha2', 'v1'), /INVALID_API_VERSION/],
      ];
      for (const [name, yaml, code] of cases) {
        for (const action of ['validate', 'plan', 'apply']) {
          const response = await post(action, yaml);
          assert.equal(response.status, 422, `${name} ${action}`);
          assert.equal(response.body.detail.code, 'validation_error');
          const issues = response.body.detail.details.diagnostics.issues;
          assert.match(issues.map((i: { code: string }) => i.code).join(' '), code, name);
          assert.ok(issues.some((i: { line: number | null }) => typeof i.line === 'number' && i.line > 0), `${name}: a line is named`);
          assert.match(response.body.detail.message, /line \d+/);
        }
      }
      const apiVersion = (await post('validate', SPEC.replace('v1alpha2', 'v1'))).body.detail.details.issues[0];
      assert.deepEqual([apiVersion.path, apiVersion.line], ['apiVersion', 1]);
      assert.equal((await app.request('GET', '/v1/workflows/wf_tabs')).status, 404, 'nothing was applied');
    });

    test('graph problems name their path and line: unknown handle, unknown block, missing output_schema', async () => {
      const badHandle = SPEC.replace('input-file-document', 'input-file-0');
      const response = await post('validate', badHandle);
      assert.equal(response.status, 422);
      const issue = response.body.detail.details.issues[0];
      assert.equal(issue.code, 'INVALID_EDGE_ENDPOINT');
      assert.equal(issue.path, 'spec.edges[0].to.handle');
      assert.equal(issue.line, SPEC.split('\n').findIndex((line) => line.includes('to: {block: read_receipt')) + 1);
      assert.match(issue.message, /input-file-0.*input-file-document/);

      const unknownBlock = await post('plan', SPEC.replace('{block: check_total', '{block: check_totals'));
      assert.equal(unknownBlock.body.detail.details.issues[0].code, 'UNKNOWN_BLOCK_REFERENCE');
      const noSchema = await post('apply', SPEC.replace('        output_schema: {type: object}\n', ''));
      assert.equal(noSchema.body.detail.details.issues[0].code, 'MISSING_USER_DECLARED_SCHEMA');
    });

    test('no input ever gets a 5xx', async () => {
      const inputs = ['', '---', '[]', 'just text', '~', '!!binary AAAA', 'a: *missing', '['.repeat(5000), 'a:\n' + '  - '.repeat(3000) + 'x', SPEC.replace('position: {x: 0, y: 0}', 'position: {x: .nan, y: .inf}'), '\u0000\uFFFF'];
      for (const yaml of inputs) {
        for (const action of ['validate', 'plan', 'apply']) {
          const response = await post(action, yaml);
          assert.ok(response.status >= 400 && response.status < 500, `${action} ${JSON.stringify(yaml.slice(0, 30))}: ${response.status}`);
        }
      }
      for (const body of [{}, { yaml_definition: 42 }, { yaml_definition: SPEC, extra: true }]) {
        const response = await app.request('POST', '/v1/workflows/spec/validate', body);
        assert.equal(response.status, 422);
        assert.equal(response.body.detail.code, 'validation_error');
      }
    });

    test('recursive YAML aliases are a 422, not a crash', async () => {
      const header = 'apiVersion: workflows.retab.com/v1alpha2\nkind: Workflow\nmetadata: {id: wf_alias}\n';
      for (const yaml of ['&a [*a]', `${header}spec: &s {blocks: {b: {type: note, config: *s}}}`]) {
        const response = await post('validate', yaml);
        assert.equal(response.status, 422);
        assert.equal(response.body.detail.code, 'validation_error');
      }
    });

    test('an unknown field is refused with its path and a "did you mean"', async () => {
      const response = await post('validate', SPEC.replace('kind: Workflow\n', 'kind: Workflow\nkinds: me\n'));
      assert.equal(response.status, 422);
      assert.deepEqual(response.body.detail.details.issues.map((i: { code: string; path: string }) => [i.code, i.path]), [['UNKNOWN_FIELD', 'kinds']]);
      assert.match(response.body.detail.message, /did you mean "kind"\?/);
    });

    test('ids belong to one organization: another workflow holding a block id is refused, another organization is separate', async () => {
      const taken = SPEC.replace('wf_spec_applied', 'wf_spec_thief');
      assert.equal((await post('apply', SPEC)).status, 200);
      const refused = await post('apply', taken);
      assert.equal(refused.status, 422);
      const codes = refused.body.detail.details.issues.map((i: { code: string; path: string }) => `${i.code} ${i.path}`).sort();
      assert.deepEqual(codes, ['BLOCK_ID_CONFLICT spec.blocks.check_total', 'BLOCK_ID_CONFLICT spec.blocks.doc_in', 'BLOCK_ID_CONFLICT spec.blocks.read_receipt']);
      assert.match(refused.body.detail.message, /wf_spec_applied/);
      const conflict = refused.body.detail.details.issues.find((i: { code: string }) => i.code === 'BLOCK_ID_CONFLICT').message;
      assert.match(conflict, /unique per organization \(as in Retab\), so two workflows cannot share one\. Rename the block key .* or apply it with POST \/v1\/workflows\/\{workflow_id\}\/spec\/apply or with project_id/, 'the message says why, and the two ways out');
      assert.equal((await app.request('GET', '/v1/workflows/wf_spec_thief')).status, 404);

      const headers = { 'api-key': await otherOrganizationKey(app, `spec-${store}`) };
      const exportedElsewhere = await app.request('GET', '/v1/workflows/spec/wf_spec_applied', undefined, headers);
      assert.equal(exportedElsewhere.status, 404);
      assert.equal(exportedElsewhere.body.detail.code, 'workflow_not_found');
      const own = await post('apply', SPEC.replace('name: Receipts', 'name: Theirs'), headers);
      assert.deepEqual([own.status, own.body.created], [200, true], 'the same ids are free in another organization');
      assert.equal((await app.request('GET', '/v1/workflows/wf_spec_applied')).body.name, 'Receipts', 'the first organization is untouched');
      assert.equal((await app.request('GET', '/v1/workflows/spec/wf_unknown')).status, 404);
    });
  });
}
