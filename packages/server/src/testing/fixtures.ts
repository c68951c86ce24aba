import { createApiKey } from '../services/auth.js';
import type { TestApp } from './harness.js';

export interface FunctionWorkflow {
  workflowId: string;
  blockId: string;
}

/**
 * A workflow with one function block (JavaScript unless `language` says otherwise), created through
 * the API as a user would; with `inputSchema`, a start_json block declaring it feeds the function.
 */
export async function createFunctionWorkflow(
  test: TestApp,
  code: string,
  options: { timeoutSeconds?: number; outputSchema?: Record<string, unknown>; language?: 'javascript' | 'python'; inputSchema?: Record<string, unknown> } = {},
): Promise<FunctionWorkflow> {
  const workflow = await test.request('POST', '/v1/workflows', { name: 'fixture' });
  if (workflow.status !== 201) throw new Error(`workflow: ${workflow.status} ${JSON.stringify(workflow.body)}`);
  const block = await test.request('POST', '/v1/workflows/blocks', {
    workflow_id: workflow.body.id,
    type: 'function',
    label: 'Function under test',
    config: { language: options.language ?? 'javascript', code, output_schema: options.outputSchema ?? {}, timeout_seconds: options.timeoutSeconds ?? 60 },
  });
  if (block.status !== 201) throw new Error(`block: ${block.status} ${JSON.stringify(block.body)}`);
  if (options.inputSchema) {
    const start = await test.request('POST', '/v1/workflows/blocks', { workflow_id: workflow.body.id, type: 'start_json', label: 'Input', config: { json_schema: options.inputSchema } });
    const edge = await test.request('POST', '/v1/workflows/edges', { workflow_id: workflow.body.id, source_block: start.body.id, target_block: block.body.id });
    if (start.status !== 201 || edge.status !== 201) throw new Error(`start_json: ${start.status} ${edge.status} ${JSON.stringify(edge.body)}`);
  }
  return { workflowId: workflow.body.id, blockId: block.body.id };
}

export interface TestSpec {
  name?: string;
  input: unknown;
  path?: string | null;
  condition: Record<string, unknown>;
}

/** Creates tests on the block; returns their ids in creation order. */
export async function createTests(test: TestApp, fixture: FunctionWorkflow, specs: TestSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const spec of specs) {
    const response = await test.request('POST', '/v1/workflows/tests', {
      workflow_id: fixture.workflowId,
      name: spec.name ?? null,
      target: { type: 'block', block_id: fixture.blockId },
      source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: spec.input } } },
      assertion: { target: { output_handle_id: 'output-json-0', path: spec.path ?? null }, condition: spec.condition },
    });
    if (response.status !== 201) throw new Error(`test: ${response.status} ${JSON.stringify(response.body)}`);
    ids.push(response.body.id);
  }
  return ids;
}

export async function startRun(test: TestApp, workflowId: string, scope?: unknown): Promise<any> {
  const response = await test.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId, ...(scope ? { scope } : {}) });
  if (response.status !== 202) throw new Error(`run: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Every result row of a run, walking the cursor pages forward. */
export async function allResults(test: TestApp, runId: string, limit = 100): Promise<any[]> {
  const rows: any[] = [];
  let after: string | null = null;
  do {
    const query: string = `/v1/workflows/tests/results?run_id=${runId}&order=asc&limit=${limit}${after ? `&after=${after}` : ''}`;
    const page = await test.request('GET', query);
    if (page.status !== 200) throw new Error(`results: ${page.status} ${JSON.stringify(page.body)}`);
    rows.push(...page.body.data);
    after = page.body.list_metadata.after;
  } while (after);
  return rows;
}

export async function otherOrganizationKey(test: TestApp, name = 'other-org'): Promise<string> {
  return (await createApiKey(test.runtime.services.store, name)).key;
}

/** The same server, as the organization of `apiKey` sees it. */
export function asOrganization(app: TestApp, apiKey: string): TestApp {
  return { ...app, apiKey, request: (method, url, body, headers = {}) => app.request(method, url, body, { 'api-key': apiKey, ...headers }) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 10 ms until it answers something truthy, which it returns. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Runs `work` while another organization GETs its workflows every 20 ms; the slowest of those GETs
 * tells whether `work` held the event loop (the requests go through inject(), on the same loop).
 */
export async function whileAnotherTenantReads<T>(test: TestApp, work: () => Promise<T>): Promise<{ result: T; slowestGetMs: number }> {
  const otherKey = await otherOrganizationKey(test, `neighbour-${Math.random()}`);
  let slowestGetMs = 0;
  let done = false;
  const reader = (async () => {
    while (!done) {
      const sent = performance.now();
      const response = await test.request('GET', '/v1/workflows?limit=5', undefined, { 'api-key': otherKey });
      if (response.status !== 200) throw new Error(`the other organization's GET answered ${response.status}`);
      slowestGetMs = Math.max(slowestGetMs, performance.now() - sent);
      await sleep(20);
    }
  })();
  try {
    return { result: await work(), slowestGetMs };
  } finally {
    done = true;
    await reader;
  }
}
