import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { starterSpec } from '@verdict/core/workflow/spec/starter';
import { action, defaultContext, UsageError, type CliContext } from './context.js';

/** Six lowercase letters and digits: enough that two starters in one organization do not share ids. */
function idSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export function registerInitCommand(program: Command, context: CliContext = defaultContext()): void {
  program
    .command('init')
    .description('Write a starter workflow YAML with three tests (a start_json block feeding a function block)')
    .argument('[file]', 'where to write it', 'workflow.yaml')
    .action(
      action(context, async (invocation, file) => {
        const spec = starterSpec(idSuffix(), basename(file!));
        try {
          await writeFile(file!, spec, { flag: 'wx' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${file} already exists; init never overwrites a file. Give another name: verdict init <file>.`);
          throw new UsageError(`Cannot write ${file}: ${(error as Error).message}`);
        }
        invocation.out(`Wrote ${file}: a workflow with three tests.\nNext: verdict apply ${file}, then the verdict runs create command it shows in the file's first lines.\n`);
      }),
    );
}
