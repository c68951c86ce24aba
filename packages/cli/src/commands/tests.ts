import type { Command } from 'commander';
import { basename } from 'node:path';
import { CreateWorkflowTestRequest } from '@verdict/core/schemas/tests';
import { derivedTestName } from '@verdict/core/workflow/test-names';
import type { CreateTestParams } from '@verdict/sdk';
import { json } from '../output.js';
import { NO_LABELS, testDetails, testsTable } from '../views.js';
import { blockLabels } from './results.js';
import {
  action,
  addListOptions,
  confirmOrRequireYes,
  defaultContext,
  ensureConnectionOptions,
  jsonOption,
  paginationOf,
  printList,
  readJsonInput,
  UsageError,
  type CliContext,
  type CliIo,
} from './context.js';

interface CreateFlags {
  name?: string;
  block?: string;
  targetFile?: string;
  sourceFile?: string;
  fromStep?: string;
  step?: string;
  assertionFile: string;
}

/** The case a test comes from: its source file's name (`large-invoice.json` → `large-invoice`), the run it was captured from, or its block when read from stdin. */
function caseName(flags: CreateFlags, blockId: string): string {
  if (flags.sourceFile === undefined) return flags.fromStep ?? blockId;
  return flags.sourceFile === '-' ? blockId : basename(flags.sourceFile).replace(/\.[^.]*$/, '');
}

/** The test's source: a JSON file, or the inputs a step of a workflow run recorded (`--from-step <run-id>`, `--step` for a loop iteration). */
async function sourceOf(io: CliIo, flags: CreateFlags): Promise<unknown> {
  if ((flags.sourceFile === undefined) === (flags.fromStep === undefined)) throw new UsageError('Give the test inputs with either --source-file <file> or --from-step <run-id>.');
  if (flags.step !== undefined && flags.fromStep === undefined) throw new UsageError('--step names a step of the run given with --from-step.');
  if (flags.fromStep !== undefined) return { type: 'run_step', run_id: flags.fromStep, ...(flags.step !== undefined ? { step_id: flags.step } : {}) };
  return readJsonInput(io, flags.sourceFile!);
}

/** The create body from the JSON files, checked with the server's own schema before anything is sent; unnamed tests get a derived name. */
async function createBody(io: CliIo, workflowId: string, flags: CreateFlags): Promise<CreateTestParams> {
  if ((flags.block === undefined) === (flags.targetFile === undefined)) throw new UsageError('Give the block under test with either --block <id> or --target-file <file>.');
  const files = [flags.targetFile, flags.sourceFile, flags.assertionFile];
  if (files.filter((file) => file === '-').length > 1) throw new UsageError('Only one of the files can be read from stdin (-).');
  const body = {
    workflow_id: workflowId,
    name: flags.name,
    target: flags.targetFile === undefined ? { type: 'block', block_id: flags.block } : await readJsonInput(io, flags.targetFile),
    source: await sourceOf(io, flags),
    assertion: await readJsonInput(io, flags.assertionFile),
  };
  const checked = CreateWorkflowTestRequest.safeParse(body);
  if (!checked.success) {
    const issues = checked.error.issues.map((issue) => `  - ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new UsageError(`The test is not valid:\n${issues.join('\n')}`);
  }
  body.name ??= derivedTestName(caseName(flags, checked.data.target.block_id), checked.data.assertion);
  return body as CreateTestParams;
}

export function registerTestsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  // `evals` is Retab's name for tests since 2026-06-19; `tests` stays for scripts written before.
  const tests = program.command('evals').alias('tests').description('Create, list and delete the tests (evals) of a workflow');

  addListOptions(tests.command('list').description("List a workflow's tests").argument('<workflow-id>'))
    .option('--block <id>', 'only the tests of this block')
    .action(
      action(context, async (invocation, workflowId) => {
        const { block } = invocation.options<{ block?: string }>();
        const list = invocation.client.workflows.evals.list({ workflow_id: workflowId, target_block_id: block, ...paginationOf(invocation) });
        const labels = invocation.json ? NO_LABELS : { ...NO_LABELS, blocks: await blockLabels(invocation.client, workflowId!) };
        await printList(invocation, list, (items) => testsTable(items, labels, invocation.style), 'tests');
      }),
    );

  jsonOption(tests.command('get').description('Show one test').argument('<test-id>'))
    .action(
      action(context, async (invocation, testId) => {
        const test = await invocation.client.workflows.evals.get(testId);
        invocation.out(invocation.json ? json(test) : testDetails(test, invocation.style));
      }),
    );

  jsonOption(
    tests
      .command('create')
      .description('Create a test from JSON files (use - to read one of them from stdin)')
      .argument('<workflow-id>')
      .option('--name <name>', 'test name (default: "<source file name> · <condition kind> <path>")')
      .option('--block <id>', 'the block under test (instead of --target-file)')
      .option('--target-file <file>', 'JSON target, e.g. {"type":"block","block_id":"extract_1"}')
      .option('--source-file <file>', 'JSON source: {"type":"manual","handle_inputs":{…}} or {"type":"run_step","run_id":…}')
      .option('--from-step <run-id>', "capture the inputs the block's step recorded in this workflow run (instead of --source-file)")
      .option('--step <step-id>', 'with --from-step: the step to capture, for a block that ran in a loop (one step per iteration)')
      .requiredOption('--assertion-file <file>', 'JSON assertion: {"target":{"output_handle_id":…},"condition":{"kind":…}}'),
  ).action(
    action(context, async (invocation, workflowId) => {
      const test = await invocation.client.workflows.evals.create(await createBody(invocation.io, workflowId, invocation.options<CreateFlags>()));
      invocation.out(invocation.json ? json(test) : `Created test ${invocation.style.bold(test.id)}\n${testDetails(test, invocation.style)}`);
    }),
  );

  tests
    .command('delete')
    .description('Delete a test and its run history')
    .argument('<test-id>')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .action(
      action(context, async (invocation, testId) => {
        const confirmed = await confirmOrRequireYes(
          invocation,
          `Delete test ${testId} and its run history?`,
          invocation.options<{ yes?: boolean }>().yes,
          'Refusing to delete without confirmation: pass --yes when not on a terminal.',
        );
        if (!confirmed) {
          invocation.err('Nothing deleted.\n');
          return;
        }
        await invocation.client.workflows.evals.delete(testId);
        invocation.out(`Deleted test ${testId}\n`);
      }),
    );
}
