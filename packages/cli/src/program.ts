import { Command } from 'commander';
import { registerApplyCommands } from './commands/apply.js';
import { registerExperimentsCommands } from './commands/experiments.js';
import { registerInitCommand } from './commands/init.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerResultsCommands } from './commands/results.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerTestsCommands } from './commands/tests.js';
import { registerWorkflowsCommands } from './commands/workflows.js';
import { registerWorkflowRunCommands } from './commands/workflow-runs.js';
import { applyUsageExitCode, exitCodeHelp } from './output.js';

export function buildProgram(): Command {
  const program = new Command('verdict')
    .description('Verdict: regression tests for document-workflow blocks (Retab-compatible API)')
    .version('0.1.0');
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerKeysCommands(program);
  registerInitCommand(program);
  for (const register of [registerWorkflowsCommands, registerTestsCommands, registerRunsCommands, registerResultsCommands, registerApplyCommands, registerWorkflowRunCommands, registerExperimentsCommands]) register(program);
  program.addHelpText('after', exitCodeHelp());
  program.configureHelp({ showGlobalOptions: true });
  applyUsageExitCode(program);
  return program;
}
