import type { Command } from 'commander';
import type { SpecPlan } from '@verdict/sdk';
import { json, safe, safeLines, type Style } from '../output.js';
import { withFilesInlined } from '../spec-files.js';
import { action, ask, defaultContext, ensureConnectionOptions, isYes, jsonOption, readInput, UsageError, type CliContext, type Invocation } from './context.js';

function planCounts({ summary }: SpecPlan, style: Style): string {
  return `${style.green(`${summary.add} to add`)}, ${style.yellow(`${summary.change} to change`)}, ${style.red(`${summary.destroy} to destroy`)}`;
}

function appliedCounts({ summary }: SpecPlan, style: Style): string {
  return `${style.green(`${summary.add} added`)}, ${style.yellow(`${summary.change} changed`)}, ${style.red(`${summary.destroy} destroyed`)}`;
}

function warnings(plan: SpecPlan): string[] {
  return (plan.diagnostics.issues ?? [])
    .filter((issue) => issue.severity === 'warning')
    .map((issue) => `warning: ${issue.path ? `${safe(issue.path)}: ` : ''}${safe(issue.message)}`);
}

/** The server's rendered plan (it ends with the counts), or the counts alone. */
function showPlan(invocation: Invocation, plan: SpecPlan): void {
  const rendered = safeLines(plan.rendered_plan).trimEnd();
  invocation.out(`${rendered || `Plan: ${planCounts(plan, invocation.style)}.`}\n`);
  for (const warning of warnings(plan)) invocation.err(`${invocation.errorStyle.yellow(warning)}\n`);
}

/** A person says yes on a terminal; elsewhere --yes is needed only when something would be destroyed. */
async function approved(invocation: Invocation, plan: SpecPlan, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (invocation.interactive) return isYes(await ask(invocation.io, `Apply these changes to workflow ${plan.workflow_id}? [y/N] `));
  if (plan.summary.destroy > 0) throw new UsageError(`The plan destroys ${plan.summary.destroy} resource(s): pass --yes to apply it when not on a terminal.`);
  return true;
}

export function registerApplyCommands(program: Command, context: CliContext = defaultContext()): void {
  ensureConnectionOptions(program);
  jsonOption(
    program
      .command('apply')
      .description("Create or update a workflow's draft and its tests from a YAML spec: plan, show, confirm, apply (- reads stdin; {file: path} test inputs are read relative to the YAML)")
      .argument('<file>')
      .option('-y, --yes', 'apply without asking (needed off a terminal when the plan destroys something)'),
  ).action(
    action(context, async (invocation, file) => {
      const spec = invocation.client.workflows.spec;
      const yamlDefinition = await withFilesInlined(await readInput(invocation.io, file!), file!);
      const plan = await spec.plan({ yaml_definition: yamlDefinition });
      if (!plan.summary.has_changes) {
        if (invocation.json) return invocation.out(json(plan));
        return invocation.out(`No changes: workflow ${safe(plan.workflow_id)} is up to date.\n`);
      }
      if (!invocation.json) showPlan(invocation, plan);
      if (!(await approved(invocation, plan, invocation.options<{ yes?: boolean }>().yes))) {
        invocation.err('Nothing applied.\n');
        return;
      }
      const result = await spec.apply({ yaml_definition: yamlDefinition });
      if (invocation.json) return invocation.out(json(result));
      invocation.out(`Applied: workflow ${safe(result.workflow_id)} ${result.created ? 'created' : 'updated'} (${appliedCounts(result, invocation.style)}).\n`);
    }),
  );
}
