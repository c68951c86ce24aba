import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { mimeTypeFromFilename } from '@verdict/core';
import type { CreateWorkflowRunParams, WorkflowRun, WorkflowRunStep } from '@verdict/sdk';
import { EXIT, formatDuration, json, safe, table, type Style } from '../output.js';
import { action, addListOptions, collect, defaultContext, ensureConnectionOptions, integerOption, jsonOption, paginationOf, printList, readJsonInput, UsageError, type CliContext, type CliIo, type Invocation } from './context.js';

interface RunFlags {
  input: string[];
  document: string[];
  workflowVersion: string;
  wait?: boolean;
  pollMs?: number;
  timeout?: number;
}


/** `block=value`, split at the first `=`. */
function blockPair(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`${flag} takes <block-id>=<file>, e.g. ${flag} start=input.json; got "${safe(text)}".`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** A document on disk as the run request takes it: its name and a data URL of its bytes. */
async function documentInput(path: string): Promise<{ filename: string; url: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const mimeType = mimeTypeFromFilename(path) ?? 'application/octet-stream';
  return { filename: basename(path), url: `data:${mimeType};base64,${bytes.toString('base64')}` };
}

async function createBody(io: CliIo, workflowId: string, flags: RunFlags): Promise<CreateWorkflowRunParams> {
  const jsonInputs: Record<string, unknown> = {};
  for (const text of flags.input) {
    const [blockId, path] = blockPair('--input', text);
    jsonInputs[blockId] = await readJsonInput(io, path);
  }
  const documents: Record<string, { filename: string; url: string }> = {};
  for (const text of flags.document) {
    const [blockId, path] = blockPair('--document', text);
    documents[blockId] = await documentInput(path);
  }
  return { workflow_id: workflowId, json_inputs: jsonInputs, documents, version: flags.workflowVersion };
}

function stepState(step: WorkflowRunStep): string {
  const { lifecycle } = step;
  if (lifecycle.status === 'skipped' || lifecycle.status === 'cancelled') return `${lifecycle.status}: ${lifecycle.reason}`;
  if (lifecycle.status === 'error') return `error: ${lifecycle.message}`;
  return lifecycle.status;
}

function stepDuration(step: WorkflowRunStep): string {
  if (!step.started_at || !step.completed_at) return '-';
  return formatDuration(Date.parse(step.completed_at) - Date.parse(step.started_at));
}

export function stepsTable(steps: WorkflowRunStep[], style: Style): string {
  return table(['STEP', 'TYPE', 'TIME', 'STATUS'], steps.map((step) => [safe(step.step_id), step.block_type, stepDuration(step), safe(stepState(step))]), style);
}

function runLine(run: WorkflowRun): string {
  const { lifecycle } = run;
  const detail = lifecycle.status === 'error' ? `: ${lifecycle.message}${lifecycle.failing_step_id ? ` (step ${lifecycle.failing_step_id})` : ''}` : '';
  return `Run ${safe(run.id)} ${lifecycle.status}${safe(detail)}\n`;
}

async function allSteps(invocation: Invocation, runId: string): Promise<WorkflowRunStep[]> {
  const steps: WorkflowRunStep[] = [];
  for await (const step of invocation.client.workflows.steps.list({ run_id: runId, order: 'asc', limit: 100 })) steps.push(step);
  return steps;
}

/** `verdict run` (whole workflows, Retab's `POST /v1/workflows/runs`) and `verdict steps list`. */
export function registerWorkflowRunCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  jsonOption(program.command('run').description('Run a whole workflow on inputs; with --wait, follow it and print its steps').argument('<workflow-id>'))
    .option('--input <block=file>', 'JSON input of a start_json block (repeatable; `-` reads stdin)', collect, [])
    .option('--document <block=file>', 'document of a start_document block (repeatable)', collect, [])
    .option('--workflow-version <version>', "the version to run: 'production', 'draft' or a ver_… id (`--version` is the CLI's own)", 'production')
    .option('--wait', 'follow the run until it finishes; exit 0 when it completed, 2 when it errored or was cancelled')
    .option('--poll-ms <ms>', 'pause between two polls (default 500)', integerOption(50, 60_000))
    .option('--timeout <seconds>', 'stop waiting after this long (the run keeps going; exit code 2)', integerOption(1, 7 * 24 * 3600))
    .action(
      action(context, async (invocation, workflowId) => {
        const flags = invocation.options<RunFlags>();
        const runs = invocation.client.workflows.runs;
        const created = await runs.create(await createBody(invocation.io, workflowId!, flags));
        if (!flags.wait) {
          invocation.out(invocation.json ? json(created) : runLine(created));
          return EXIT.ok;
        }
        const run = await runs.wait(created.id, { pollMs: flags.pollMs, timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000 });
        const steps = await allSteps(invocation, run.id);
        invocation.out(invocation.json ? json({ run, steps }) : `${runLine(run)}${stepsTable(steps, invocation.style)}`);
        return run.lifecycle.status === 'completed' ? EXIT.ok : EXIT.runFailed;
      }),
    );

  const steps = program.command('steps').description('The steps of workflow runs');
  addListOptions(steps.command('list').description("A run's steps in the order they ran").argument('<run-id>'))
    .option('--block <id>', "only this block's steps")
    .action(
      action(context, async (invocation, runId) => {
        const { block } = invocation.options<{ block?: string }>();
        const list = invocation.client.workflows.steps.list({ order: 'asc', ...paginationOf(invocation), run_id: runId, block_id: block });
        await printList(invocation, list, (items) => stepsTable(items, invocation.style), 'steps');
      }),
    );
}
