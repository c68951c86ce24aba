import { Option, type Command } from 'commander';
import { VERDICTS } from '@verdict/core/lifecycle';
import type { Verdict, WorkflowTestResult } from '@verdict/sdk';
import { json } from '../output.js';
import { assertionSummary, NO_LABELS, resultDetails, resultOutcome, resultsTable, type Labels } from '../views.js';
import { action, addListOptions, defaultContext, ensureConnectionOptions, jsonOption, paginationOf, printList, type CliContext, type Invocation } from './context.js';

/** Every result row of a run, in run order, through every page. */
export async function allResults(client: Verdict, runId: string): Promise<WorkflowTestResult[]> {
  const results: WorkflowTestResult[] = [];
  for await (const result of client.workflows.evals.results.list({ run_id: runId, order: 'asc', limit: 100 })) results.push(result);
  return results;
}

/**
 * A workflow's test names, checks and block labels, to show instead of ids. They are a
 * convenience: when they cannot be read (the workflow was deleted meanwhile), ids are shown.
 */
export async function workflowLabels(client: Verdict, workflowId: string): Promise<Labels> {
  const tests = new Map<string, string>();
  const checks = new Map<string, string>();
  try {
    for await (const test of client.workflows.evals.list({ workflow_id: workflowId, limit: 100 })) {
      if (test.name) tests.set(test.id, test.name);
      checks.set(test.id, assertionSummary(test));
    }
    return { tests, checks, blocks: await blockLabels(client, workflowId) };
  } catch {
    return NO_LABELS;
  }
}

/** Block labels by id (empty when they cannot be read: ids are shown then). */
export async function blockLabels(client: Verdict, workflowId: string): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  try {
    for await (const block of client.workflows.blocks.list({ workflow_id: workflowId, limit: 100 })) if (block.label) blocks.set(block.id, block.label);
  } catch {
    blocks.clear();
  }
  return blocks;
}

async function labelsFor(invocation: Invocation, results: WorkflowTestResult[]): Promise<Labels> {
  return results.length ? workflowLabels(invocation.client, results[0].workflow_id) : NO_LABELS;
}

export function registerResultsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  const results = program.command('results').description('Per-test results of test runs');

  addListOptions(
    results
      .command('list')
      .description('List the results of a test run: failures first, each with its check, expected and actual values')
      .argument('<run-id>')
      .addOption(new Option('--verdict <verdict>', 'only the results with this verdict (reads every page)').choices(VERDICTS)),
  ).action(
    action(context, async (invocation, runId) => {
      const { verdict } = invocation.options<{ verdict?: string }>();
      if (verdict) {
        const matching = (await allResults(invocation.client, runId)).filter((result) => resultOutcome(result) === verdict);
        if (invocation.json) return invocation.out(json(matching));
        invocation.out(matching.length ? resultsTable(matching, await labelsFor(invocation, matching), invocation.style) : `No ${verdict} results.\n`);
        return;
      }
      const list = invocation.client.workflows.evals.results.list({ run_id: runId, ...paginationOf(invocation) });
      const labels = invocation.json ? NO_LABELS : await labelsFor(invocation, (await list).data);
      await printList(invocation, list, (items) => resultsTable(items, labels, invocation.style), 'results');
    }),
  );

  jsonOption(results.command('get').description('Show one result with its assertion').argument('<result-id>'))
    .action(
      action(context, async (invocation, resultId) => {
        const result = await invocation.client.workflows.evals.results.get(resultId);
        if (invocation.json) return invocation.out(json(result));
        invocation.out(resultDetails(result, await labelsFor(invocation, [result]), invocation.style));
      }),
    );
}
