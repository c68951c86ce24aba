import { Option, type Command } from 'commander';
import type { ExperimentMetricsResponse, ExperimentRun, MetricView, Verdict } from '@verdict/sdk';
import { fields, json, safe, table, type Style } from '../output.js';
import { action, collect, defaultContext, ensureConnectionOptions, jsonOption, readJsonInput, UsageError, type CliContext } from './context.js';

const TERMINAL = new Set(['completed', 'error', 'cancelled']);
const percent = (score: number | null | undefined) => (typeof score === 'number' ? `${(score * 100).toFixed(1)}%` : '—');
const beside = (score: number | null | undefined, prior: number | null | undefined) => (prior == null ? percent(score) : `${percent(score)} (was ${percent(prior)})`);

/** Polls the experiment run until it ends. */
async function waitForRun(client: Verdict, runId: string, pollMs: number): Promise<ExperimentRun> {
  for (;;) {
    const run = await client.workflows.experiments.runs.get(runId);
    if (TERMINAL.has(run.lifecycle.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A metrics answer as a person reads it: the score beside the prior run's, then the view's rows. */
export function metricsView(metrics: ExperimentMetricsResponse, style: Style): string {
  switch (metrics.kind) {
    case 'no_metrics':
      return `${safe(metrics.message)}\n`;
    case 'stale_metrics':
      return `${style.yellow('Stale')}: ${safe(metrics.message)}\nReasons: ${metrics.stale_reasons.join(', ')}\n`;
    case 'summary': {
      const aggregate = metrics.aggregate;
      const head = fields(
        [
          ['Run', metrics.run_id],
          ['Score', beside(metrics.score, metrics.prior_score)],
          ['Documents', `${metrics.scored_document_count} scored of ${metrics.total_document_count}`],
          ['Prior run', metrics.prior_run_id ?? '—'],
        ],
        style,
      );
      const documents = table(['Document', 'Score', 'Prior'], metrics.documents.map((document) => [safe(document.filename), percent(document.score), percent(document.prior_score)]), style);
      const detail =
        aggregate && 'likelihoods' in aggregate
          ? table(['Field', 'Likelihood'], Object.entries(aggregate.likelihoods).map(([path, score]) => [safe(path), percent(score)]), style)
          : aggregate && 'diag' in aggregate
            ? table(['Label', 'Agreement'], Object.entries(aggregate.diag).map(([label, score]) => [safe(label), percent(score)]), style) +
              table(['Consensus', 'Voted', 'Share'], aggregate.flows.map((flow) => [safe(flow.source), safe(flow.target), percent(flow.score)]), style)
            : '';
      return `${head}\n${documents}\n${detail}`;
    }
    case 'by_document':
      return `${safe(metrics.document.filename)}: ${beside(metrics.score, metrics.prior_score)}\n` + table(['Target', 'Score', 'Prior', 'Value'], metrics.targets.map((target) => [safe(target.path), percent(target.score), percent(target.prior_score), safe(JSON.stringify(target.value))]), style);
    case 'by_target':
      return `${safe(metrics.target)}: ${beside(metrics.score, metrics.prior_score)}\n` + table(['Document', 'Score', 'Prior', 'Value'], metrics.documents.map((document) => [safe(document.filename), percent(document.score), percent(document.prior_score), safe(JSON.stringify(document.value))]), style);
    case 'votes':
      return `${safe(metrics.document.filename)} ${safe(metrics.target)}: ${percent(metrics.score)}\n` + table(['Path', 'Consensus', 'Agreement', 'Votes'], metrics.rows.map((row) => [safe(row.path), safe(JSON.stringify(row.consensus)), percent(row.score), safe(JSON.stringify(row.votes))]), style);
  }
}

/** `run_id` or `run_id:step_id` (step ids may hold colons; run ids do not). */
function captureOf(value: string): { run_id: string; step_id?: string } {
  const colon = value.indexOf(':');
  const runId = colon < 0 ? value : value.slice(0, colon);
  const stepId = colon < 0 ? undefined : value.slice(colon + 1);
  if (runId === '' || stepId === '') throw new UsageError(`--capture ${value}: expected <run_id> or <run_id>:<step_id>.`);
  return stepId === undefined ? { run_id: runId } : { run_id: runId, step_id: stepId };
}

export function registerExperimentsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  const experiments = program.command('experiments').description('How consistent a model block is across documents (docs/experiments.md)');

  jsonOption(
    experiments
      .command('create')
      .description('Create an experiment of a block over documents: given in a JSON file (or - for stdin) holding [{"handle_inputs": {...}}, ...], captured from workflow runs, or both')
      .requiredOption('--workflow <id>', 'the workflow of the block')
      .requiredOption('--block <id>', 'the extract, classifier, split or for_each block to measure')
      .option('--documents <file>', 'the documents, as JSON')
      .option('--capture <run_id[:step_id]>', 'a document captured from a workflow run: the inputs its step of the block saw (repeatable; the step is needed inside a loop)', collect, [])
      .addOption(new Option('--n-consensus <n>', 'votes per document').choices(['3', '5', '7']).default('3'))
      .option('--name <name>', 'a name for the experiment'),
  ).action(
    action(context, async (invocation) => {
      const flags = invocation.options<{ workflow: string; block: string; documents?: string; capture: string[]; nConsensus: string; name?: string }>();
      if (flags.documents === undefined && flags.capture.length === 0) throw new UsageError('Give the documents: --documents <file>, --capture <run_id[:step_id]> (repeatable), or both.');
      const documents = flags.documents === undefined ? undefined : await readJsonInput(invocation.io, flags.documents);
      if (documents !== undefined && !Array.isArray(documents)) throw new UsageError(`${flags.documents} must hold a JSON array of documents, each {"handle_inputs": {...}}.`);
      const experiment = await invocation.client.workflows.experiments.create({
        workflow_id: flags.workflow,
        block_id: flags.block,
        ...(flags.capture.length > 0 ? { document_captures: flags.capture.map(captureOf) } : {}),
        ...(documents ? { documents } : {}),
        n_consensus: Number(flags.nConsensus) as 3 | 5 | 7,
        ...(flags.name ? { name: flags.name } : {}),
      });
      invocation.out(invocation.json ? json(experiment) : `Created experiment ${experiment.id} (${experiment.document_count} documents, n_consensus ${experiment.n_consensus}).\n`);
    }),
  );

  jsonOption(
    experiments
      .command('run')
      .description('Run an experiment; with --wait, wait for it and print its summary')
      .argument('<experiment-id>')
      .option('--wait', 'wait until the run ends, then print its metrics'),
  ).action(
    action(context, async (invocation, experimentId) => {
      const { wait } = invocation.options<{ wait?: boolean }>();
      const client = invocation.client;
      let run = await client.workflows.experiments.runs.create({ experiment_id: experimentId });
      if (!wait) return invocation.out(invocation.json ? json(run) : `Started experiment run ${run.id}.\n`);
      run = await waitForRun(client, run.id, 500);
      const metrics = await client.workflows.experiments.metrics({ run_id: run.id });
      if (invocation.json) return invocation.out(json({ run, metrics }));
      invocation.out(`Experiment run ${run.id} ${run.lifecycle.status}.\n${metricsView(metrics, invocation.style)}`);
      return run.lifecycle.status === 'completed' ? 0 : 1;
    }),
  );

  jsonOption(
    experiments
      .command('metrics')
      .description("Show a run's metrics: the summary, one document, one target (field or label), or one document's votes")
      .argument('<run-id>')
      .addOption(new Option('--view <view>', 'which breakdown').choices(['summary', 'by_document', 'by_target', 'votes']).default('summary'))
      .option('--document <id>', 'the document (by_document, votes)')
      .option('--target <path>', 'the field path or label (by_target, votes)')
      .option('--no-prior', 'leave out the prior run')
      .option('--prior-run <id>', 'compare with this run instead of the previous completed one'),
  ).action(
    action(context, async (invocation, runId) => {
      const flags = invocation.options<{ view: MetricView; document?: string; target?: string; prior: boolean; priorRun?: string }>();
      const metrics = await invocation.client.workflows.experiments.metrics({
        run_id: runId,
        view: flags.view,
        ...(flags.document ? { document_id: flags.document } : {}),
        ...(flags.target ? { target_path: flags.target } : {}),
        include_prior: flags.prior,
        ...(flags.priorRun ? { prior_run_id: flags.priorRun } : {}),
      });
      invocation.out(invocation.json ? json(metrics) : metricsView(metrics, invocation.style));
    }),
  );
}
