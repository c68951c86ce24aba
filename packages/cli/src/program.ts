import { Command } from 'commander';
import { registerKeysCommands } from './commands/keys.js';
import { registerServeCommand } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command('verdict')
    .description('Verdict: regression tests for document-workflow blocks (Retab-compatible API)')
    .version('0.1.0');
  registerServeCommand(program);
  registerKeysCommands(program);
  return program;
}
