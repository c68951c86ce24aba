// One full scenario through Retab's official Node SDK, against a running Verdict.
//
//   node scenario.mjs --sdk <materialised clients/node> --base-url http://127.0.0.1:PORT --api-key KEY
//
// The generation is told by the SDK itself (`workflows.evals` exists from 2026-06-19 on). Every
// call is one JSON line on stdout: {call, route, ok, error}. The Node SDK maps the wire to its
// camelCase objects without checking them, so each object it returns is checked here with the
// SDK's own zod schema of that model (`ZWorkflowTestRun`, `ZWorkflowEval`, …, exported beside it);
// list pages are checked item by item. The raw JSON of each answer is kept aside so that a
// response the SDK rejects does not stop the scenario: later calls use its ids.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const PROJECT_ID = 'proj_default';
const TERMINAL = new Set(['completed', 'error', 'cancelled']);
const SUM_CODE = 'function transform(input) { return { total: input.a + input.b }; }';
const SLOW_CODE = 'function transform(input) { const end = Date.now() + input.delay_ms; while (Date.now() < end) {} return { total: 0 }; }';
const TOTAL_SCHEMA = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };
const INPUT_SCHEMA = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' }, delay_ms: { type: 'number' } } };
const LETTER = Buffer.from('Dear customer, the total of invoice 42 is 1234.56 EUR.\n');

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Zod's issues as path: code (message). Of a union, the branch that came closest: one whose
 * literal tags matched (the variant the answer meant to be), then the one with fewest issues.
 */
function zodIssues(error) {
  const flat = [];
  const walk = (issues, prefix) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'invalid_union' && issue.unionErrors?.length) {
        const mismatchedTag = (branch) => (branch.issues.some((i) => i.code === 'invalid_literal') ? 1 : 0);
        const closest = [...issue.unionErrors].sort((a, b) => mismatchedTag(a) - mismatchedTag(b) || a.issues.length - b.issues.length)[0];
        walk(closest.issues, []);
      } else flat.push(`${path.join('.') || '(root)'}: ${issue.code} (${issue.message})`);
    }
  };
  walk(error.issues, []);
  return flat;
}

function describe(error) {
  if (error?.status !== undefined) return `${error.constructor.name} HTTP ${error.status}: ${String(error.responseBody || error.message).slice(0, 300)}`;
  return `${error?.constructor?.name ?? 'Error'}: ${error?.message ?? error}`.slice(0, 400);
}

class Scenario {
  constructor(sdk, baseUrl, apiKey) {
    this.sdk = sdk;
    this.client = new sdk.Retab({ apiKey, baseUrl });
    this.isNew = this.client.workflows.evals !== undefined;
    this.name = this.isNew ? 'evals' : 'tests';
    this.tests = this.isNew ? this.client.workflows.evals : this.client.workflows.tests;
    this.lastRaw = null;
    const sdkRequest = this.client.request.bind(this.client);
    this.client.request = async (options) => (this.lastRaw = await sdkRequest(options));
  }

  emit(call, route, ok, error) {
    console.log(JSON.stringify({ call, route, ok, error }));
  }

  /** The model's schema check of what the SDK returned (a page: each item); null when it holds. */
  check(model, value) {
    if (!model) return null;
    const schema = this.sdk[`Z${model}`];
    if (!schema) return `the SDK exports no schema Z${model}`;
    const items = value && Array.isArray(value.data) && value.list_metadata !== undefined ? value.data.map((item, i) => [`data.${i}`, item]) : [['', value]];
    const problems = [];
    for (const [where, item] of items) {
      const parsed = schema.safeParse(item);
      if (!parsed.success) problems.push(...zodIssues(parsed.error).map((issue) => (where ? `${where}.${issue}` : issue)));
    }
    if (problems.length === 0) return null;
    return `Z${model} rejected the response: ${problems.slice(0, 12).join('; ')}${problems.length > 12 ? `; … ${problems.length - 12} more` : ''}`;
  }

  /** Runs one SDK call, checks its result against `model`, records it; returns the raw JSON answer. */
  async call(name, route, model, action, { expect, needs = [], verify } = {}) {
    const missing = needs.find(([value]) => !value);
    if (missing) return this.skip(name, route, `${missing[1]} gave no id`) ?? null;
    this.lastRaw = null;
    let ok;
    let error = null;
    try {
      const value = await action();
      error = expect ? `expected ${expect.name}, the call succeeded` : this.check(model, value);
      if (error === null && verify && this.lastRaw) error = verify(this.lastRaw);
      ok = error === null;
    } catch (raised) {
      ok = expect !== undefined && raised instanceof expect;
      if (!ok) error = describe(raised);
    }
    this.emit(name, route, ok, error);
    return this.lastRaw;
  }

  skip(name, route, missing) {
    this.emit(name, route, false, `not reached: ${missing}`);
  }

  async wait(runId, route, model, startedBy, runs = this.tests.runs) {
    if (!runId) return this.skip('runs.get (polled until terminal)', route, `${startedBy} gave no id`);
    let firstError = null;
    let raw = null;
    for (let i = 0; i < 300; i++) {
      this.lastRaw = null;
      try {
        firstError ??= this.check(model, await runs.get(runId));
      } catch (raised) {
        firstError ??= describe(raised);
      }
      raw = this.lastRaw;
      if (!raw || TERMINAL.has(raw.lifecycle?.status)) break;
      await sleep(200);
    }
    this.emit('runs.get (polled until terminal)', route, firstError === null, firstError);
    return raw;
  }
}

/** The 12 experiment routes: a consistency experiment of the extract block over two documents (n_consensus 3). */
async function experiments(s, wf, blockId, handleInputs, fileId) {
  const { client: c, sdk } = s;
  const ex = c.workflows.experiments;
  const route = '/v1/workflows/experiments';
  const experiment = (await s.call('experiments.create', `POST ${route}`, 'WorkflowExperiment', () => ex.create(wf, blockId, undefined, [{ handleInputs }, { handleInputs }], 3, 'consistency'), { needs: [[blockId, 'blocks.create (extract)'], [fileId, 'files.create_upload']] })) ?? {};
  const needs = [[experiment.id, 'experiments.create']];
  await s.call('experiments.get', `GET ${route}/{id}`, 'WorkflowExperiment', () => ex.get(experiment.id), { needs });
  await s.call('experiments.list', `GET ${route}`, 'WorkflowExperiment', () => ex.list({ workflowId: wf }));
  await s.call('experiments.update', `PATCH ${route}/{id}`, 'WorkflowExperiment', () => ex.update(experiment.id, undefined, undefined, undefined, 'consistency (renamed)'), { needs });
  const copy = (await s.call('experiments.create (duplicate)', `POST ${route}`, 'WorkflowExperiment', () => ex.create(wf, undefined, undefined, undefined, undefined, undefined, experiment.id), { needs })) ?? {};
  const run = (await s.call('experiments.runs.create', `POST ${route}/runs`, 'ExperimentRun', () => ex.runs.create(experiment.id), { needs })) ?? {};
  await s.wait(run.id, `GET ${route}/runs/{id}`, 'ExperimentRun', 'experiments.runs.create', ex.runs);
  const runNeeds = [[run.id, 'experiments.runs.create']];
  await s.call('experiments.runs.get', `GET ${route}/runs/{id}`, 'ExperimentRun', () => ex.runs.get(run.id), { needs: runNeeds });
  await s.call('experiments.runs.list', `GET ${route}/runs`, 'ExperimentRun', () => ex.runs.list({ experimentId: experiment.id, status: 'completed' }), { needs });
  const page = (await s.call('experiments.results.list', `GET ${route}/results`, 'ExperimentResult', () => ex.results.list({ runId: run.id }), { needs: runNeeds })) ?? {};
  const [row] = page.data ?? [];
  await s.call('experiments.results.get', `GET ${route}/results/{id}`, 'ExperimentResult', () => ex.results.get(row.id), { needs: [[row?.id, 'experiments.results.list']] });

  const kindIs = (expected) => (raw) => (raw.kind === expected ? null : `the schema accepted the answer, but its kind is ${JSON.stringify(raw.kind)}, not ${expected}`);
  const metricsRoute = `GET ${route}/metrics`;
  const docNeeds = [...runNeeds, [row?.document_id, 'experiments.results.list']];
  await s.call('experiments.metrics.get (summary)', metricsRoute, 'ExperimentSummaryMetricsResponse', () => ex.metrics.get({ runId: run.id }), { needs: runNeeds, verify: kindIs('summary') });
  await s.call('experiments.metrics.get (by_document)', metricsRoute, 'ExperimentByDocumentMetricsResponse', () => ex.metrics.get({ runId: run.id, view: 'by_document', documentId: row.document_id }), { needs: docNeeds, verify: kindIs('by_document') });
  await s.call('experiments.metrics.get (by_target)', metricsRoute, 'ExperimentByTargetMetricsResponse', () => ex.metrics.get({ runId: run.id, view: 'by_target', targetPath: 'total' }), { needs: runNeeds, verify: kindIs('by_target') });
  await s.call('experiments.metrics.get (votes)', metricsRoute, 'ExperimentVotesMetricsResponse', () => ex.metrics.get({ runId: run.id, view: 'votes', documentId: row.document_id, targetPath: 'total', includePrior: false }), { needs: docNeeds, verify: kindIs('votes') });
  // The block's schema changes (through the client's own request: the SDK call is not what is checked here).
  const changed = { json_schema: { type: 'object', properties: { total: { type: 'number' }, currency: { type: 'string' } }, required: ['total'] } };
  await s.call('PATCH block config (for stale metrics)', 'PATCH /v1/workflows/blocks/{id}', null, () => c.request({ method: 'PATCH', path: `/v1/workflows/blocks/${blockId}`, query: { workflow_id: wf }, body: { config: changed } }), { needs: runNeeds });
  await s.call('experiments.metrics.get (stale_metrics)', metricsRoute, 'ExperimentMetricsStaleError', () => ex.metrics.get({ runId: run.id }), { needs: runNeeds, verify: kindIs('stale_metrics') });

  const cancelled = (raw) => (raw.lifecycle?.status === 'cancelled' ? null : `the lifecycle.status is ${JSON.stringify(raw.lifecycle?.status)}, not cancelled`);
  const doomed = (await s.call('experiments.runs.create (duplicate, to cancel)', `POST ${route}/runs`, 'ExperimentRun', () => ex.runs.create(copy.id, wf), { needs: [[copy.id, 'experiments.create (duplicate)']] })) ?? {};
  const doomedNeeds = [[doomed.id, 'experiments.runs.create (duplicate, to cancel)']];
  await s.call('experiments.runs.cancel', `POST ${route}/runs/{id}/cancel`, 'CancelWorkflowExperimentRunResponse', () => ex.runs.cancel(doomed.id), { needs: doomedNeeds, verify: cancelled });
  await s.call('experiments.metrics.get (no_metrics)', metricsRoute, 'ExperimentMetricsMissingError', () => ex.metrics.get({ runId: doomed.id }), { needs: doomedNeeds, verify: kindIs('no_metrics') });
  await s.call('experiments.runs.cancel (finished run → RetabNotFoundError)', `POST ${route}/runs/{id}/cancel`, null, () => ex.runs.cancel(run.id), { expect: sdk.RetabNotFoundError, needs: runNeeds });
  await s.call('experiments.delete', `DELETE ${route}/{id}`, null, () => ex.delete(copy.id), { needs: [[copy.id, 'experiments.create (duplicate)']] });
  await s.call('experiments.get (deleted → RetabNotFoundError)', `GET ${route}/{id}`, null, () => ex.get(copy.id), { expect: sdk.RetabNotFoundError, needs: [[copy.id, 'experiments.create (duplicate)']] });
}

async function run(sdk, baseUrl, apiKey) {
  const s = new Scenario(sdk, baseUrl, apiKey);
  const { client: c, tests: t, name: n, isNew } = s;
  const wfs = c.workflows;
  const M = isNew ? { test: 'WorkflowEval', run: 'WorkflowEvalRun', result: 'WorkflowEvalResult' } : { test: 'WorkflowTest', run: 'WorkflowTestRun', result: 'WorkflowTestResult' };

  const workflow = await s.call('workflows.create', 'POST /v1/workflows', 'Workflow', () => (isNew ? wfs.create(PROJECT_ID, 'SDK conformance') : wfs.create('SDK conformance')));
  if (!workflow) return s.skip('everything else', '-', 'workflows.create');
  const wf = workflow.id;
  await s.call('workflows.get', 'GET /v1/workflows/{id}', 'Workflow', () => wfs.get(wf));
  await s.call('workflows.list', 'GET /v1/workflows', 'Workflow', () => wfs.list({ limit: 5 }));
  await s.call('workflows.update', 'PATCH /v1/workflows/{id}', 'Workflow', () => wfs.update(wf, undefined, 'Official SDK against Verdict'));

  const block = async (label, type, config) =>
    (await s.call(`blocks.create (${type})`, 'POST /v1/workflows/blocks', 'WorkflowBlock', () => wfs.blocks.create(wf, type, undefined, label, undefined, undefined, undefined, undefined, config))) ?? {};
  const start = await block('Input', 'start_json', { json_schema: INPUT_SCHEMA });
  const adder = await block('Sum', 'function', { language: 'javascript', code: SUM_CODE, output_schema: TOTAL_SCHEMA });
  const slow = await block('Slow', 'function', { language: 'javascript', code: SLOW_CODE, output_schema: TOTAL_SCHEMA, timeout_seconds: 60 });
  const document = await block('Document', 'start_document', {});
  const extract = await block('Extract', 'extract', { json_schema: TOTAL_SCHEMA });
  await s.call('blocks.list', 'GET /v1/workflows/blocks', 'WorkflowBlock', () => wfs.blocks.list({ workflowId: wf }));
  await s.call('blocks.get', 'GET /v1/workflows/blocks/{id}', 'WorkflowBlock', () => wfs.blocks.get(adder.id, { workflowId: wf }), { needs: [[adder.id, 'blocks.create (function)']] });
  await s.call('blocks.update', 'PATCH /v1/workflows/blocks/{id}', 'WorkflowBlock', () =>
    wfs.blocks.update(adder.id, 'Sum of a and b', undefined, undefined, undefined, undefined, undefined, undefined, undefined, { workflowId: wf }),
    { needs: [[adder.id, 'blocks.create (function)']] },
  );

  const edge = (await s.call('edges.create (json)', 'POST /v1/workflows/edges', 'WorkflowEdgeDoc', () => wfs.edges.create(wf, start.id, adder.id, undefined, 'output-json-0', 'input-json-0'), { needs: [[start.id, 'blocks.create (start_json)'], [adder.id, 'blocks.create (function)']] })) ?? {};
  const fileEdge = (await s.call('edges.create (file)', 'POST /v1/workflows/edges', 'WorkflowEdgeDoc', () => wfs.edges.create(wf, document.id, extract.id, undefined, 'output-file-0', 'input-file-document'), { needs: [[document.id, 'blocks.create (start_document)'], [extract.id, 'blocks.create (extract)']] })) ?? {};
  await s.call('edges.list', 'GET /v1/workflows/edges', 'WorkflowEdgeDoc', () => wfs.edges.list({ workflowId: wf }));
  await s.call('edges.get', 'GET /v1/workflows/edges/{id}', 'WorkflowEdgeDoc', () => wfs.edges.get(edge.id), { needs: [[edge.id, 'edges.create (json)']] });

  // Retab's upload flow: reserve, PUT the bytes where the answer says, complete.
  const sha = createHash('sha256').update(LETTER).digest('hex');
  const upload = (await s.call('files.create_upload', 'POST /v1/files/upload', 'CreateUploadResponse', () => c.files.create_upload('letter.txt', LETTER.length, 'text/plain', sha))) ?? {};
  const fileId = upload.file_id ?? upload.fileId;
  const uploadUrl = upload.upload_url ?? upload.uploadUrl;
  let mime = null;
  if (fileId && uploadUrl) {
    try {
      const answer = await fetch(uploadUrl, {
        method: upload.upload_method ?? upload.uploadMethod ?? 'PUT',
        headers: { 'Content-Type': 'text/plain', ...(upload.upload_headers ?? upload.uploadHeaders ?? {}) },
        body: LETTER,
      });
      s.emit('PUT upload_url (bytes)', `PUT ${uploadUrl.split('?')[0]}`, answer.ok, answer.ok ? null : `HTTP ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
    } catch (raised) {
      s.emit('PUT upload_url (bytes)', 'PUT <upload_url>', false, describe(raised));
    }
    mime = await s.call('files.complete_upload', 'POST /v1/files/upload/{id}/complete', 'MIMEData', () => c.files.complete_upload(fileId, sha));
    await s.call('files.get', 'GET /v1/files/{id}', 'File', () => c.files.get(fileId));
    await s.call('files.get_download_link', 'GET /v1/files/{id}/download-link', 'FileLink', () => c.files.get_download_link(fileId));
  } else {
    for (const [name, route] of [
      ['PUT upload_url (bytes)', 'PUT <upload_url>'],
      ['files.complete_upload', 'POST /v1/files/upload/{id}/complete'],
      ['files.get', 'GET /v1/files/{id}'],
      ['files.get_download_link', 'GET /v1/files/{id}/download-link'],
    ])
      s.skip(name, route, 'files.create_upload gave no file_id/upload_url');
  }
  await s.call('files.list', 'GET /v1/files', 'File', () => c.files.list({ limit: 5 }));

  // A file input as each generation writes it: FileRef from 2026-06-15, MaterializedDocument before.
  const documentInput = isNew
    ? { id: fileId, filename: 'letter.txt', mimeType: 'text/plain' }
    : { originalId: fileId, filename: 'letter.txt', mimeType: 'text/plain', gcsUri: mime?.url ?? '', sizeBytes: LETTER.length };

  const makeTest = async (label, blockId, handleInputs, condition, path = 'total', needs = []) =>
    (await s.call(
      `${n}.create (${label})`,
      `POST /v1/workflows/${n}`,
      M.test,
      () => t.create(wf, { type: 'block', blockId }, { type: 'manual', handleInputs }, { target: { outputHandleId: 'output-json-0', path }, condition }, label),
      { needs: [[blockId, 'blocks.create'], ...needs] },
    )) ?? {};
  const passing = await makeTest('json, passes', adder.id, { 'input-json-0': { type: 'json', data: { a: 1, b: 2 } } }, { kind: 'equals', expected: 3 });
  await makeTest('json, fails', adder.id, { 'input-json-0': { type: 'json', data: { a: 1, b: 1 } } }, { kind: 'equals', expected: 3 });
  const slowTest = await makeTest('json, slow', slow.id, { 'input-json-0': { type: 'json', data: { delay_ms: 1500 } } }, { kind: 'exists' });
  // Written as the SDK's types write it: LlmJudgedAsCondition declares `expectedLabel`, and conditions go out verbatim.
  await makeTest('llm_judged_as', adder.id, { 'input-json-0': { type: 'json', data: { a: 1, b: 2 } } }, { kind: 'llm_judged_as', rubric: 'Is the total right?', expectedLabel: 'yes' }, null);
  const fileTest = await makeTest('file input', extract.id, { 'input-file-document': { type: 'file', document: documentInput } }, { kind: 'exists' }, null, [[fileId, 'files.create_upload']]);
  await s.call(`${n}.list`, `GET /v1/workflows/${n}`, M.test, () => t.list({ workflowId: wf }));
  await s.call(`${n}.get (json)`, `GET /v1/workflows/${n}/{id}`, M.test, () => t.get(passing.id), { needs: [[passing.id, `${n}.create (json, passes)`]] });
  await s.call(`${n}.get (file)`, `GET /v1/workflows/${n}/{id}`, M.test, () => t.get(fileTest.id), { needs: [[fileTest.id, `${n}.create (file input)`]] });
  await s.call(`${n}.update`, `PATCH /v1/workflows/${n}/{id}`, M.test, () => t.update(passing.id, 'json, passes (renamed)'), { needs: [[passing.id, `${n}.create (json, passes)`]] });

  const idKey = isNew ? 'evalId' : 'testId';
  const wireIdKey = isNew ? 'eval_id' : 'test_id';
  const runsRoute = `/v1/workflows/${n}/runs`;
  const startRun = async (label, scope, needs = []) => (await s.call(`${n}.runs.create (${label})`, `POST ${runsRoute}`, M.run, () => t.runs.create(wf, scope), { needs })) ?? {};

  const pollRoute = `GET ${runsRoute}/{id}`;
  const single = await startRun('single', { type: 'single', [idKey]: passing.id }, [[passing.id, `${n}.create (json, passes)`]]);
  await s.wait(single.id, pollRoute, M.run, `${n}.runs.create (single)`);
  const blockRun = await startRun('block', { type: 'block', blockId: adder.id }, [[adder.id, 'blocks.create (function)']]);
  await s.wait(blockRun.id, pollRoute, M.run, `${n}.runs.create (block)`);
  const whole = await startRun('workflow', { type: 'workflow' });
  await s.wait(whole.id, pollRoute, M.run, `${n}.runs.create (workflow)`);
  const defaultScope = await startRun('no scope', undefined);
  await s.wait(defaultScope.id, pollRoute, M.run, `${n}.runs.create (no scope)`);

  const isCancelled = (raw) => (raw.lifecycle?.status === 'cancelled' ? null : `the schema accepted the answer, but its lifecycle.status is '${raw.lifecycle?.status}', not 'cancelled'`);
  const cancelRoute = `POST ${runsRoute}/{id}/cancel`;
  const early = await startRun('workflow, cancelled at once', { type: 'workflow' });
  const earlyNeeds = [[early.id, `${n}.runs.create (workflow, cancelled at once)`]];
  await s.call(`${n}.runs.cancel (right after create)`, cancelRoute, M.run, () => t.runs.cancel(early.id), { verify: isCancelled, needs: earlyNeeds });
  await s.call(`${n}.list (after a run cancelled before its tests started)`, `GET /v1/workflows/${n}`, M.test, () => t.list({ workflowId: wf }), { needs: earlyNeeds });
  const doomed = await startRun('single, to cancel', { type: 'single', [idKey]: slowTest.id }, [[slowTest.id, `${n}.create (json, slow)`]]);
  await sleep(300);
  await s.call(`${n}.runs.cancel (while running)`, cancelRoute, M.run, () => t.runs.cancel(doomed.id), { verify: isCancelled, needs: [[doomed.id, `${n}.runs.create (single, to cancel)`]] });
  await s.call(`${n}.runs.cancel (finished run → RetabNotFoundError)`, cancelRoute, null, () => t.runs.cancel(single.id), {
    expect: sdk.RetabNotFoundError,
    needs: [[single.id, `${n}.runs.create (single)`]],
  });
  await s.call(`${n}.runs.get`, `GET ${runsRoute}/{id}`, M.run, () => t.runs.get(whole.id), { needs: [[whole.id, `${n}.runs.create (workflow)`]] });
  await s.call(`${n}.runs.list`, `GET ${runsRoute}`, M.run, () => t.runs.list({ workflowId: wf }));
  await s.call(`${n}.runs.list (by ${wireIdKey})`, `GET ${runsRoute}`, M.run, () => t.runs.list({ [idKey]: passing.id }), { needs: [[passing.id, `${n}.create (json, passes)`]] });

  const resultsRoute = `/v1/workflows/${n}/results`;
  const page = (await s.call(`${n}.results.list (workflow run)`, `GET ${resultsRoute}`, M.result, () => t.results.list({ runId: whole.id, limit: 50 }), { needs: [[whole.id, `${n}.runs.create (workflow)`]] })) ?? {};
  await s.call(`${n}.results.list (cancelled run)`, `GET ${resultsRoute}`, M.result, () => t.results.list({ runId: doomed.id }), { needs: [[doomed.id, `${n}.runs.create (single, to cancel)`]] });
  const rows = page.data ?? [];
  const fileRow = rows.find((row) => (row[wireIdKey] ?? row.test_id) === fileTest.id);
  const jsonRow = rows.find((row) => row !== fileRow);
  if (jsonRow) await s.call(`${n}.results.get (json input)`, `GET ${resultsRoute}/{id}`, M.result, () => t.results.get(jsonRow.id));
  else s.skip(`${n}.results.get (json input)`, `GET ${resultsRoute}/{id}`, 'no result row listed');
  if (fileRow) await s.call(`${n}.results.get (file input)`, `GET ${resultsRoute}/{id}`, M.result, () => t.results.get(fileRow.id));
  else s.skip(`${n}.results.get (file input)`, `GET ${resultsRoute}/{id}`, 'no result row of the file test listed');

  await experiments(s, wf, extract.id, { 'input-file-document': { type: 'file', document: documentInput } }, fileId);

  const exported = (await s.call('spec.get (export)', isNew ? 'GET /v1/workflows/{id}/spec' : 'GET /v1/workflows/spec/{id}', 'DeclarativeExportResponse', () => wfs.spec.get(wf))) ?? {};
  const yaml = exported.yaml_definition ?? '';
  await s.call('spec.validate', 'POST /v1/workflows/spec/validate', 'DeclarativeValidationResponse', () => wfs.spec.validate(yaml));
  if (isNew) {
    await s.call('workflows.plan (workflow-scoped)', 'POST /v1/workflows/{id}/spec/plan', 'DeclarativePlanResponse', () => wfs.plan(yaml, undefined, wf));
    await s.call('workflows.apply (workflow-scoped)', 'POST /v1/workflows/{id}/spec/apply', 'DeclarativeApplyResponse', () => wfs.apply(yaml, undefined, wf));
  } else {
    await s.call('spec.plan', 'POST /v1/workflows/spec/plan', 'DeclarativePlanResponse', () => wfs.spec.plan(yaml));
    await s.call('spec.apply', 'POST /v1/workflows/spec/apply', 'DeclarativeApplyResponse', () => wfs.spec.apply(yaml));
  }

  await s.call('workflows.publish', 'POST /v1/workflows/{id}/publish', 'Workflow', () => wfs.publish(wf, 'conformance'));
  if (isNew) {
    await s.call('workflows.list_versions', 'GET /v1/workflows/versions', 'WorkflowGraphVersion', () => wfs.list_versions({ workflowId: wf }));
    await s.call('blocks.list_versions', 'GET /v1/workflows/blocks/versions', 'WorkflowBlockVersion', () => wfs.blocks.list_versions({ workflowId: wf }));
    await s.call('edges.list_versions', 'GET /v1/workflows/edges/versions', 'WorkflowEdgeVersion', () => wfs.edges.list_versions({ workflowId: wf }));
    await s.call('blocks.create_block_validate_config', 'POST /v1/workflows/blocks/{id}/validate-config', 'ValidateWorkflowBlockConfigResponse', () =>
      wfs.blocks.create_block_validate_config(adder.id, { language: 'javascript', code: SUM_CODE }, 'merge', { workflowId: wf }),
      { needs: [[adder.id, 'blocks.create (function)']] },
    );
    await s.call('workflows.discard_draft', 'POST /v1/workflows/{id}/discard-draft', 'Workflow', () => wfs.discard_draft(wf));
  }

  await s.call(`${n}.delete`, `DELETE /v1/workflows/${n}/{id}`, null, () => t.delete(slowTest.id), { needs: [[slowTest.id, `${n}.create (json, slow)`]] });
  await s.call(`${n}.get (deleted → RetabNotFoundError)`, `GET /v1/workflows/${n}/{id}`, null, () => t.get(slowTest.id), { expect: sdk.RetabNotFoundError, needs: [[slowTest.id, `${n}.create (json, slow)`]] });
  await s.call('edges.delete', 'DELETE /v1/workflows/edges/{id}', null, () => wfs.edges.delete(fileEdge.id), { needs: [[fileEdge.id, 'edges.create (file)']] });
  await s.call('blocks.delete', 'DELETE /v1/workflows/blocks/{id}', null, () => wfs.blocks.delete(slow.id, { workflowId: wf }), { needs: [[slow.id, 'blocks.create (function)']] });
  await s.call('workflows.delete', 'DELETE /v1/workflows/{id}', null, () => wfs.delete(wf));
  await s.call('workflows.get (deleted → RetabNotFoundError)', 'GET /v1/workflows/{id}', null, () => wfs.get(wf), { expect: sdk.RetabNotFoundError });
}

const { values } = parseArgs({ options: { sdk: { type: 'string' }, 'base-url': { type: 'string' }, 'api-key': { type: 'string' } } });
if (!values.sdk || !values['base-url'] || !values['api-key']) {
  console.error('usage: scenario.mjs --sdk <clients/node> --base-url URL --api-key KEY');
  process.exit(2);
}
const sdk = await import(pathToFileURL(join(resolve(values.sdk), 'dist/index.js')).href);
await run(sdk, values['base-url'], values['api-key']);
