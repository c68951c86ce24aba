// The workload of bench/models and bench/models/replay: TESTS tests of one `extract` block per
// n_consensus (a JSON input, a two-field `json_schema`, `equals` on `total`), seeded into a SQLite
// store before any server runs on it, through the compiled services of a given build.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_KEY } from '../throughput/harness.mjs';

export const TESTS = 400;
export const ANSWER = { vendor: 'Acme Tools', total: 1234.5 };
export const SCHEMA = { type: 'object', properties: { vendor: { type: 'string' }, total: { type: 'number' } }, required: ['vendor', 'total'] };
/** Invoice i of the workflow with n_consensus n: the inputs differ per workflow, so no workflow replays another's recorded answers. */
export const invoiceOf = (i, n = 1) => ({ invoice: `INV-${n}-${i}`, vendor: 'Acme Tools', lines: [{ sku: `SKU-${i}`, amount: 1234.5 }] });

/** The compiled modules of the Verdict checkout at `root` (this one by default) that seeding and serving need. */
export async function loadBuild(root = path.resolve(new URL('../..', import.meta.url).pathname)) {
  const dist = (file) => import(pathToFileURL(path.join(root, 'packages', file)).href);
  const [core, server, graph, tests, workflows, fakeModel] = await Promise.all([
    dist('core/dist/index.js'),
    dist('server/dist/index.js'),
    dist('server/dist/services/graph.js'),
    dist('server/dist/services/tests.js'),
    dist('server/dist/store/workflows.js'),
    dist('server/dist/testing/fake-model-server.js'),
  ]);
  return { root, script: path.join(root, 'packages/cli/bin/verdict.js'), core, server, graph, tests, workflows, fakeModel };
}

/** One extract block per consensus count, each with TESTS tests; the workflow id per count. */
export async function seedExtractTests(build, dataDir, consensusCounts) {
  const { core, server, graph, tests, workflows } = build;
  const runtime = await server.createRuntime(server.configFromEnv({ VERDICT_DATA_DIR: dataDir, VERDICT_API_KEY: API_KEY }, { worker: false, seedDemo: false }));
  try {
    const { services } = runtime;
    const { organization_id: organizationId } = await services.store.db.selectFrom('api_keys').select('organization_id').executeTakeFirstOrThrow();
    const ids = {};
    for (const n of consensusCounts) {
      const workflow = await workflows.insertWorkflow(services.store.db, organizationId, { name: `extract n=${n}`, description: '' });
      const config = { inputs: [{ name: 'invoice', type: 'json' }], json_schema: SCHEMA, n_consensus: n };
      const block = await graph.createBlock(services, organizationId, core.CreateWorkflowBlockRequest.parse({ workflow_id: workflow.id, type: 'extract', config }));
      for (let i = 0; i < TESTS; i++) {
        await tests.createTest(services, organizationId, core.CreateWorkflowTestRequest.parse({
          workflow_id: workflow.id,
          target: { type: 'block', block_id: block.id },
          source: { type: 'manual', handle_inputs: { 'input-json-invoice': { type: 'json', data: invoiceOf(i, n) } } },
          assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: ANSWER.total } },
        }));
      }
      ids[n] = workflow.id;
    }
    return ids;
  } finally {
    await runtime.close();
  }
}
