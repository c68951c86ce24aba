import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { LIFECYCLE_STATUSES } from '@verdict/core/lifecycle';
import { RUN_SORT_KEYS, TRIGGER_TYPES } from '@verdict/core/schemas/runs';
import { TimeoutError, VerdictError, type CreateRunParams, type ListRunsParams, type WorkflowTestRun } from '@verdict/sdk';
import { renderJUnit } from '../junit.js';
import { exitCodeForRun, json } from '../output.js';
import { createProgress, type Progress } from '../progress.js';
import { resultOutcome, resultsTable, runDetails, runsTable, runSummary } from '../views.js';
import {
  action,
  addListOptions,
  ask,
  defaultContext,
  ensureConnectionOptions,
  integerOption,
  InterruptedError,
  isYes,
  jsonOption,
  paginationOf,
  printList,
  UsageError,
  type CliContext,
  type Invocation,
} from './context.js';
import { allResults, testNames } from './results.js';

interface WaitFlags {
  pollMs?: number;
  timeout?: number;
  junit?: string;
}

const CANCEL_REASON = 'Cancelled from the verdict CLI';

function addWaitOptions(command: Command): Command {
  return command
    .option('--junit <file>', 'write a JUnit XML report of the finished run (implies --wait)')
    .option('--poll-ms <ms>', 'pause between two polls (default 500)', integerOption(50, 60_000))
    .option('--timeout <seconds>', 'stop waiting after this long (the run keeps going; exit code 2)', integerOption(1, 7 * 24 * 3600));
}

function scopeOf(flags: { eval?: string; test?: string; block?: string }): CreateRunParams['scope'] {
  const single = flags.eval ?? flags.test;
  if (flags.eval !== undefined && flags.test !== undefined) throw new UsageError('--test is the old name of --eval: pass one of them.');
  if (single !== undefined && flags.block !== undefined) throw new UsageError('Pass either --eval or --block, not both.');
  if (single !== undefined) return { type: 'single', eval_id: single };
  if (flags.block !== undefined) return { type: 'block', block_id: flags.block };
  return undefined;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/**
 * Waits for the run while showing progress. Ctrl-C asks whether to cancel the run on a terminal
 * (a second Ctrl-C leaves it running: InterruptedError); elsewhere it cancels the run at once.
 * Resolves with the terminal run, or rejects with the SDK's TimeoutError after --timeout.
 */
async function watchRun(invocation: Invocation, runId: string, progress: Progress, flags: WaitFlags): Promise<WorkflowTestRun> {
  const runs = invocation.client.workflows.evals.runs;
  const stopped = new AbortController();
  const interruption = deferred<WorkflowTestRun>();
  let prompting = false;

  /** Resolves the wait with the cancelled run; a run that finished meanwhile is left to the poller. */
  const cancelRun = async () => {
    try {
      interruption.resolve(await runs.cancel(runId, { reason: CANCEL_REASON }));
    } catch (error) {
      if (!(error instanceof VerdictError && error.code === 'run_not_cancellable')) throw error;
    }
  };

  const onInterrupt = async () => {
    if (prompting) throw new InterruptedError(`Stopped waiting: run ${runId} keeps running on the server.`);
    if (!invocation.interactive) {
      invocation.err(`Interrupted: cancelling run ${runId}.\n`);
      return cancelRun();
    }
    prompting = true;
    progress.pause();
    const answer = await ask(invocation.io, `Cancel run ${runId}? [y/N] `, stopped.signal);
    prompting = false;
    if (stopped.signal.aborted) return invocation.err('\n');
    if (isYes(answer)) return cancelRun();
    progress.resume();
  };

  const dispose = invocation.io.onInterrupt(() => void onInterrupt().catch(interruption.reject));
  try {
    const finished = runs.wait(runId, {
      signal: stopped.signal,
      pollMs: flags.pollMs,
      timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
      onProgress: (run) => progress.update(run),
    });
    return await Promise.race([finished, interruption.promise]);
  } finally {
    dispose();
    stopped.abort();
  }
}

async function writeJUnit(invocation: Invocation, run: WorkflowTestRun, file: string): Promise<void> {
  const client = invocation.client;
  const [results, names] = await Promise.all([allResults(client, run.id), testNames(client, run.workflow_id)]);
  await writeFile(file, renderJUnit({ run, results, testNames: names }));
  invocation.err(`JUnit report written to ${file}\n`);
}

/** The finished run, and every row that did not pass. */
async function reportRun(invocation: Invocation, run: WorkflowTestRun): Promise<void> {
  if (invocation.json) return invocation.out(json(run));
  invocation.out(`${runSummary(run, invocation.style)}\n`);
  const client = invocation.client;
  const notPassed = (await allResults(client, run.id)).filter((result) => resultOutcome(result) !== 'passed');
  if (notPassed.length) invocation.out(`\n${resultsTable(notPassed, await testNames(client, run.workflow_id), invocation.style)}`);
}

async function followRun(invocation: Invocation, run: WorkflowTestRun, flags: WaitFlags): Promise<number> {
  const progress = createProgress(invocation.io.stderr, invocation.errorStyle);
  let final: WorkflowTestRun;
  try {
    final = await watchRun(invocation, run.id, progress, flags);
  } catch (error) {
    if (!(error instanceof TimeoutError && error.code === 'wait_timeout')) throw error;
    progress.stop();
    invocation.err(`Run ${run.id} did not finish within ${flags.timeout} s; it keeps running on the server.\n`);
    final = await invocation.client.workflows.evals.runs.get(run.id);
  } finally {
    progress.stop();
  }
  if (flags.junit) await writeJUnit(invocation, final, flags.junit);
  await reportRun(invocation, final);
  return exitCodeForRun(final);
}

function printRun(invocation: Invocation, run: WorkflowTestRun): void {
  invocation.out(invocation.json ? json(run) : runDetails(run, invocation.style));
}

const statusOption = (flags: string, description: string) => new Option(flags, description).choices(LIFECYCLE_STATUSES);

interface ListFlags {
  workflow?: string;
  eval?: string;
  test?: string;
  block?: string;
  status?: ListRunsParams['status'];
  excludeStatus?: ListRunsParams['exclude_status'];
  trigger?: ListRunsParams['trigger_type'];
  from?: string;
  to?: string;
  sortBy?: ListRunsParams['sort_by'];
}

export function registerRunsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  const runs = program.command('runs').description('Start, follow, list and cancel test runs');

  addWaitOptions(
    jsonOption(
      runs
        .command('create')
        .description("Run a workflow's tests (all of them, one block's, or one) on its current draft")
        .argument('<workflow-id>')
        .option('--eval <id>', 'run only this test (eval)')
        .option('--test <id>', 'the old name of --eval')
        .option('--block <id>', "run only this block's tests")
        .option('--wait', 'follow the run until it finishes; the exit code tells the outcome'),
    ),
  ).action(
    action(context, async (invocation, workflowId) => {
      const flags = invocation.options<WaitFlags & { eval?: string; test?: string; block?: string; wait?: boolean }>();
      const run = await invocation.client.workflows.evals.runs.create({ workflow_id: workflowId, scope: scopeOf(flags) });
      if (!flags.wait && !flags.junit) return printRun(invocation, run);
      invocation.err(`Started run ${run.id} with ${run.total_tests} test${run.total_tests === 1 ? '' : 's'}.\n`);
      return followRun(invocation, run, flags);
    }),
  );

  addWaitOptions(jsonOption(runs.command('wait').description('Follow a run until it finishes; the exit code tells the outcome').argument('<run-id>'))).action(
    action(context, async (invocation, runId) => {
      const run = await invocation.client.workflows.evals.runs.get(runId);
      return followRun(invocation, run, invocation.options<WaitFlags>());
    }),
  );

  addListOptions(runs.command('list').description('List test runs, newest first'))
    .option('--workflow <id>', 'runs of this workflow')
    .option('--eval <id>', 'runs that included this test (eval)')
    .option('--test <id>', 'the old name of --eval')
    .option('--block <id>', "runs scoped to this block's tests")
    .addOption(statusOption('--status <status>', 'only runs in this status'))
    .addOption(statusOption('--exclude-status <status>', 'no runs in this status'))
    .addOption(new Option('--trigger <type>', 'how the run was started').choices(TRIGGER_TYPES))
    .option('--from <date>', 'created on or after (YYYY-MM-DD or ISO datetime)')
    .option('--to <date>', 'created on or before, inclusive')
    .addOption(new Option('--sort-by <field>', 'sort key').choices(RUN_SORT_KEYS))
    .action(
      action(context, async (invocation) => {
        const flags = invocation.options<ListFlags>();
        const list = invocation.client.workflows.evals.runs.list({
          ...paginationOf(invocation),
          workflow_id: flags.workflow,
          eval_id: flags.eval ?? flags.test,
          target_block_id: flags.block,
          status: flags.status,
          exclude_status: flags.excludeStatus,
          trigger_type: flags.trigger,
          from_date: flags.from,
          to_date: flags.to,
          sort_by: flags.sortBy,
        });
        await printList(invocation, list, (items) => runsTable(items, invocation.style), 'runs');
      }),
    );

  jsonOption(runs.command('get').description('Show a run with its counts').argument('<run-id>')).action(
    action(context, async (invocation, runId) => printRun(invocation, await invocation.client.workflows.evals.runs.get(runId))),
  );

  jsonOption(runs.command('cancel').description('Cancel a pending or running run (finished tests keep their verdicts)').argument('<run-id>'))
    .option('--reason <text>', 'why, kept on the run')
    .action(
      action(context, async (invocation, runId) => {
        const { reason } = invocation.options<{ reason?: string }>();
        printRun(invocation, await invocation.client.workflows.evals.runs.cancel(runId, reason === undefined ? undefined : { reason }));
      }),
    );
}
