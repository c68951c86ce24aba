import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { LIFECYCLE_STATUSES } from '@verdict/core/lifecycle';
import { RUN_SORT_KEYS, TRIGGER_TYPES } from '@verdict/core/schemas/runs';
import { ConnectionError, TimeoutError, VerdictError, type CreateRunParams, type ListRunsParams, type RunComparison, type WorkflowTestRun } from '@verdict/sdk';
import { comparisonReport, fullComparison, markdownSummary } from '../comparison.js';
import { renderJUnit } from '../junit.js';
import { EXIT, exitCodeForRun, json, safe } from '../output.js';
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
import { allResults, workflowLabels } from './results.js';

interface WaitFlags {
  pollMs?: number;
  timeout?: number;
  retryFor?: number;
  summary?: string;
  failOn?: 'any-failure' | 'new-failures';
  junit?: string;
}

const CANCEL_REASON = 'Cancelled from the verdict CLI';

function addWaitOptions(command: Command): Command {
  return command
    .option('--junit <file>', 'write a JUnit XML report of the finished run (implies --wait)')
    .option('--poll-ms <ms>', 'pause between two polls (default 500)', integerOption(50, 60_000))
    .option('--timeout <seconds>', 'stop waiting after this long (the run keeps going; exit code 2)', integerOption(1, 7 * 24 * 3600))
    .option('--retry-for <seconds>', 'keep waiting through a server outage or restart this long (default 60)', integerOption(1, 24 * 3600))
    .option('--summary <file>', 'write a Markdown summary of the finished run (for CI step summaries; implies --wait)')
    .addOption(
      new Option('--fail-on <what>', 'exit 1 on any failure, or only on failures that are new against the base run (teams with known failures)')
        .choices(['any-failure', 'new-failures'])
        .default('any-failure'),
    );
}

/** Where the dashboard shows a run (the API and the dashboard share one server). */
export const dashboardUrl = (invocation: Invocation, runId: string) => `${invocation.client.baseUrl}/runs/${encodeURIComponent(runId)}`;

function createBody(workflowId: string, flags: { eval?: string; test?: string; block?: string; rerun?: string; rerunFailed?: string }): CreateRunParams {
  const parent = flags.rerunFailed ?? flags.rerun;
  if (parent === undefined) return { workflow_id: workflowId, scope: scopeOf(flags) };
  if (flags.rerun !== undefined && flags.rerunFailed !== undefined) throw new UsageError('Pass either --rerun or --rerun-failed, not both.');
  if (flags.eval !== undefined || flags.test !== undefined || flags.block !== undefined) throw new UsageError('A re-run keeps the scope of the run it restarts: drop --eval and --block.');
  return { workflow_id: workflowId, restart_of: parent, ...(flags.rerunFailed !== undefined ? { only_failed: true } : {}) };
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
    let reportedOutage = false;
    const finished = runs.wait(runId, {
      signal: stopped.signal,
      pollMs: flags.pollMs,
      timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
      outageMs: flags.retryFor === undefined ? undefined : flags.retryFor * 1000,
      onProgress: (run) => {
        if (reportedOutage) invocation.err('The server answers again.\n');
        reportedOutage = false;
        progress.update(run);
      },
      onOutage: (error) => {
        if (reportedOutage) return;
        reportedOutage = true;
        progress.pause();
        invocation.err(`The server does not answer (${safe(error.message)}); still waiting for run ${runId}…\n`);
        progress.resume();
      },
    });
    return await Promise.race([finished, interruption.promise]);
  } finally {
    dispose();
    stopped.abort();
  }
}

async function writeJUnit(invocation: Invocation, run: WorkflowTestRun, file: string): Promise<void> {
  const client = invocation.client;
  const [results, labels] = await Promise.all([allResults(client, run.id), workflowLabels(client, run.workflow_id)]);
  await writeFile(file, renderJUnit({ run, results, testNames: labels.tests, dashboardUrl: dashboardUrl(invocation, run.id) }));
  invocation.err(`JUnit report written to ${file}\n`);
}

async function writeSummary(invocation: Invocation, run: WorkflowTestRun, file: string, compared: Awaited<ReturnType<typeof fullComparison>>): Promise<void> {
  const client = invocation.client;
  const [results, labels] = await Promise.all([allResults(client, run.id), workflowLabels(client, run.workflow_id)]);
  await writeFile(file, markdownSummary({ run, results, labels, comparison: compared.comparison, changes: compared.changes, dashboardUrl: client.baseUrl }));
  invocation.err(`Markdown summary written to ${file}\n`);
}

/**
 * With `--fail-on new-failures`, a completed run fails (exit 1) only for failures that are new
 * against its base; without a base every failure is new.
 */
function exitCode(run: WorkflowTestRun, flags: WaitFlags, comparison: RunComparison | null): number {
  const plain = exitCodeForRun(run);
  if (flags.failOn !== 'new-failures' || run.lifecycle.status !== 'completed' || !comparison?.base_run_id) return plain;
  return comparison.summary.new_failures > 0 ? EXIT.testsFailed : EXIT.ok;
}

/** The finished run, and every row that did not pass. */
async function reportRun(invocation: Invocation, run: WorkflowTestRun): Promise<void> {
  if (invocation.json) return invocation.out(json(run));
  invocation.out(`${runSummary(run, invocation.style)}\n`);
  const client = invocation.client;
  const notPassed = (await allResults(client, run.id)).filter((result) => resultOutcome(result) !== 'passed');
  if (notPassed.length) invocation.out(`\n${resultsTable(notPassed, await workflowLabels(client, run.workflow_id), invocation.style)}`);
}

async function followRun(invocation: Invocation, runId: string, flags: WaitFlags): Promise<number> {
  invocation.err(`Dashboard: ${dashboardUrl(invocation, runId)}\n`);
  const progress = createProgress(invocation.io.stderr, invocation.errorStyle);
  let final: WorkflowTestRun;
  try {
    final = await watchRun(invocation, runId, progress, flags);
  } catch (error) {
    if (error instanceof ConnectionError && !(error instanceof TimeoutError && error.code === 'wait_timeout')) {
      progress.stop();
      invocation.err(`Stopped waiting: the server did not answer for ${flags.retryFor ?? 60} s. The run is kept on the server; resume with:\n  ${resumeCommand(invocation, runId)}\n`);
      throw error;
    }
    if (!(error instanceof TimeoutError && error.code === 'wait_timeout')) throw error;
    progress.stop();
    invocation.err(`Run ${runId} did not finish within ${flags.timeout} s; it keeps running on the server.\n`);
    final = await invocation.client.workflows.evals.runs.get(runId);
  } finally {
    progress.stop();
  }
  const compared = flags.summary || flags.failOn === 'new-failures' ? await fullComparison(invocation.client, runId) : null;
  if (flags.junit) await writeJUnit(invocation, final, flags.junit);
  if (flags.summary) await writeSummary(invocation, final, flags.summary, compared!);
  await reportRun(invocation, final);
  return exitCode(final, flags, compared?.comparison ?? null);
}

/** The command that picks the wait up again, with the connection flags this one was given (never the key). */
function resumeCommand(invocation: Invocation, runId: string): string {
  const { baseUrl } = invocation.command.optsWithGlobals<{ baseUrl?: string }>();
  return ['verdict', ...(baseUrl ? ['--base-url', baseUrl] : []), 'runs', 'wait', runId].map((part) => safe(part)).join(' ');
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
        .option('--rerun <run-id>', 'run the tests of that finished run again, with its scope')
        .option('--rerun-failed <run-id>', 'run again only the tests that failed, were blocked or errored in that run')
        .option('--wait', 'follow the run until it finishes; the exit code tells the outcome'),
    ),
  ).action(
    action(context, async (invocation, workflowId) => {
      const flags = invocation.options<WaitFlags & { eval?: string; test?: string; block?: string; rerun?: string; rerunFailed?: string; wait?: boolean }>();
      const run = await invocation.client.workflows.evals.runs.create(createBody(workflowId!, flags));
      if (!flags.wait && !flags.junit && !flags.summary) {
        invocation.err(`Dashboard: ${dashboardUrl(invocation, run.id)}\n`);
        return printRun(invocation, run);
      }
      invocation.err(`Started run ${run.id} with ${run.total_tests} test${run.total_tests === 1 ? '' : 's'}.\n`);
      return followRun(invocation, run.id, flags);
    }),
  );

  addWaitOptions(jsonOption(runs.command('wait').description('Follow a run until it finishes; the exit code tells the outcome').argument('<run-id>'))).action(
    action(context, async (invocation, runId) => {
      return followRun(invocation, runId!, invocation.options<WaitFlags>());
    }),
  );

  jsonOption(
    runs
      .command('compare')
      .description('What changed against a base run: new failures, fixes and the rest, with the dependencies that changed (flaky when none did)')
      .argument('<run-id>')
      .option('--base <run-id>', 'the run to compare with (default: the latest earlier finished run of the workflow sharing tests)')
      .option('--all', 'also list the tests that still pass'),
  ).action(
    action(context, async (invocation, runId) => {
      const { base, all } = invocation.options<{ base?: string; all?: boolean }>();
      const { comparison, changes } = await fullComparison(invocation.client, runId!, base);
      if (invocation.json) return invocation.out(json({ ...comparison, changes, list_metadata: { before: null, after: null } }));
      const run = await invocation.client.workflows.evals.runs.get(runId!);
      invocation.out(comparisonReport(comparison, changes, await workflowLabels(invocation.client, run.workflow_id), invocation.style, all));
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
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .action(
      action(context, async (invocation, runId) => {
        const { reason, yes } = invocation.options<{ reason?: string; yes?: boolean }>();
        // A person at a terminal confirms; a script (no terminal) means it.
        if (invocation.interactive && !yes) {
          const question = `Cancel run ${safe(runId!)}? Tests that have not finished will not run; finished results are kept. [y/N] `;
          if (!isYes(await ask(invocation.io, question))) {
            invocation.err('Not cancelled.\n');
            return EXIT.usage;
          }
        }
        printRun(invocation, await invocation.client.workflows.evals.runs.cancel(runId, reason === undefined ? undefined : { reason }));
      }),
    );
}
