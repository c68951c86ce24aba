import type { Command } from 'commander';
import type { Verdict, WorkflowTestResult } from '@verdict/sdk';
import { json } from '../output.js';
import { resultDetails, resultsTable } from '../views.js';
import { action, addListOptions, defaultContext, ensureConnectionOptions, jsonOption, paginationOf, printList, type CliContext, type Invocation } from './context.js';

/** Every result row of a run, in run order, through every page. */
export async function allResults(client: Verdict, runId: string): Promise<WorkflowTestResult[]> {
  const results: WorkflowTestResult[] = [];
  for await (const result of client.workflows.evals.results.list({ run_id: runId, order: 'asc', limit: 100 })) results.push(result);
  return results;
}

/**
 * Test names by id, to show names instead of ids. Names are a convenience: when they cannot be
 * read (the workflow was deleted meanwhile), ids are shown instead.
 */
export async function testNames(client: Verdict, workflowId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    for await (const test of client.workflows.evals.list({ workflow_id: workflowId, limit: 100 })) if (test.name) names.set(test.id, test.name);
  } catch {
    names.clear();
  }
  return names;
}

async function namesFor(invocation: Invocation, results: WorkflowTestResult[]): Promise<Map<string, string>> {
  return results.length ? testNames(invocation.client, results[0].workflow_id) : new Map();
}

export function registerResultsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  const results = program.command('results').description('Per-test results of test runs');

  addListOptions(results.command('list').description('List the results of a test run, in run order').argument('<run-id>'))
    .action(
      action(context, async (invocation, runId) => {
        const list = invocation.client.workflows.evals.results.list({ run_id: runId, ...paginationOf(invocation) });
        let names = new Map<string, string>();
        if (!invocation.json) names = await namesFor(invocation, (await list).data);
        await printList(invocation, list, (items) => resultsTable(items, names, invocation.style), 'results');
      }),
    );

  jsonOption(results.command('get').description('Show one result with its assertion').argument('<result-id>'))
    .action(
      action(context, async (invocation, resultId) => {
        const result = await invocation.client.workflows.evals.results.get(resultId);
        if (invocation.json) return invocation.out(json(result));
        invocation.out(resultDetails(result, await namesFor(invocation, [result]), invocation.style));
      }),
    );
}
