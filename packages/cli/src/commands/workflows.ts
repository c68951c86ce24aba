import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { json } from '../output.js';
import { workflowDetails, workflowsTable } from '../views.js';
import { action, addListOptions, defaultContext, ensureConnectionOptions, jsonOption, paginationOf, printList, UsageError, type CliContext } from './context.js';

export function registerWorkflowsCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  const workflows = program.command('workflows').description('List, inspect and export workflows');

  addListOptions(workflows.command('list').description('List the workflows of your organization'))
    .addOption(new Option('--sort-by <field>', 'sort key').choices(['updated_at', 'created_at']))
    .action(
      action(context, async (invocation) => {
        const { sortBy } = invocation.options<{ sortBy?: 'updated_at' | 'created_at' }>();
        const list = invocation.client.workflows.list({ ...paginationOf(invocation), sort_by: sortBy });
        await printList(invocation, list, (items) => workflowsTable(items, invocation.style), 'workflows');
      }),
    );

  jsonOption(workflows.command('get').description('Show one workflow').argument('<workflow-id>'))
    .action(
      action(context, async (invocation, workflowId) => {
        const workflow = await invocation.client.workflows.get(workflowId);
        invocation.out(invocation.json ? json(workflow) : workflowDetails(workflow, invocation.style));
      }),
    );

  workflows
    .command('export')
    .description("Write a workflow's draft and its tests as YAML, the form verdict apply reads")
    .argument('<workflow-id>')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(
      action(context, async (invocation, workflowId) => {
        const { yaml_definition: yaml } = await invocation.client.workflows.spec.get(workflowId!);
        const { out } = invocation.options<{ out?: string }>();
        if (out === undefined) return invocation.out(yaml);
        try {
          await writeFile(out, yaml);
        } catch (error) {
          throw new UsageError(`Cannot write ${out}: ${(error as Error).message}`);
        }
        invocation.err(`Wrote ${out}\n`);
      }),
    );
}
