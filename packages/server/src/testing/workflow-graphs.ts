import type { TestApp } from './harness.js';

/** The config of a JavaScript function block. */
export function functionConfig(code: string) {
  return { language: 'javascript', code, output_schema: {}, timeout_seconds: 30 };
}

export interface BlockSpec {
  key: string;
  type: string;
  label?: string;
  config?: Record<string, unknown>;
  /** The key of the for_each block this one is the body of. */
  parent?: string;
}

export interface EdgeSpec {
  from: string;
  to: string;
  sourceHandle?: string;
  targetHandle?: string;
}

/** Creates a workflow through the API from blocks and edges named by keys; returns its id and each block's id by key. */
export async function createWorkflowGraph(test: TestApp, blocks: BlockSpec[], edges: EdgeSpec[]): Promise<{ workflowId: string; ids: Record<string, string> }> {
  const workflow = await test.request('POST', '/v1/workflows', { name: 'graph fixture' });
  if (workflow.status !== 201) throw new Error(`workflow: ${workflow.status} ${JSON.stringify(workflow.body)}`);
  const ids: Record<string, string> = {};
  for (const block of blocks) {
    const response = await test.request('POST', '/v1/workflows/blocks', {
      workflow_id: workflow.body.id,
      type: block.type,
      label: block.label ?? block.key,
      config: block.config ?? {},
      ...(block.parent ? { parent_id: ids[block.parent] } : {}),
    });
    if (response.status !== 201) throw new Error(`block ${block.key}: ${response.status} ${JSON.stringify(response.body)}`);
    ids[block.key] = response.body.id;
  }
  for (const edge of edges) {
    const response = await test.request('POST', '/v1/workflows/edges', {
      workflow_id: workflow.body.id,
      source_block: ids[edge.from],
      target_block: ids[edge.to],
      ...(edge.sourceHandle ? { source_handle: edge.sourceHandle } : {}),
      ...(edge.targetHandle ? { target_handle: edge.targetHandle } : {}),
    });
    if (response.status !== 201) throw new Error(`edge ${edge.from}->${edge.to}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return { workflowId: workflow.body.id, ids };
}

/**
 * start_json → for_each over `data.line_items` (body: `amount` = qty × price, with the sku) → `sum`
 * of the reduced array (`{total, lines}`): the loop workflow of issue 22's done-when.
 */
export function lineItemsLoopWorkflow(test: TestApp): Promise<{ workflowId: string; ids: Record<string, string> }> {
  return createWorkflowGraph(
    test,
    [
      { key: 'start', type: 'start_json' },
      { key: 'loop', type: 'for_each', config: { map_method: 'iterate_array', map_source_path: 'data.line_items', reduce_strategy: 'concat_array' } },
      { key: 'amount', type: 'function', parent: 'loop', config: functionConfig('function transform(item) { return { sku: item.sku, amount: item.qty * item.price }; }') },
      { key: 'sum', type: 'function', config: functionConfig('function transform(amounts) { return { total: amounts.reduce((sum, line) => sum + line.amount, 0), lines: amounts.length }; }') },
    ],
    [
      { from: 'start', to: 'loop' },
      { from: 'loop', to: 'amount' },
      { from: 'loop', to: 'sum' },
    ],
  );
}

/** Polls a workflow run until it is terminal and returns it. */
export async function waitForWorkflowRun(test: TestApp, runId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await test.request('GET', `/v1/workflows/runs/${runId}`);
    if (['completed', 'error', 'cancelled'].includes(body.lifecycle?.status)) return body;
    if (Date.now() > deadline) throw new Error(`workflow run ${runId} still ${body.lifecycle?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every step of a run, oldest first, by block id (a block in a loop: its last step). */
export async function stepsOfRun(test: TestApp, runId: string): Promise<any[]> {
  const response = await test.request('GET', `/v1/workflows/steps?run_id=${runId}&order=asc&limit=100`);
  if (response.status !== 200) throw new Error(`steps: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data;
}
