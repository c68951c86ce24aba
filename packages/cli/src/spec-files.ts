import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { replaceFileReferences, specFileReferences } from '@verdict/core/workflow/spec/file-references';
import { UsageError } from './commands/context.js';

/**
 * The spec with each `{file: <path>}` test input replaced by the file's bytes as a data: URL
 * (`{filename, url}`, a form the server stores). Paths are relative to the YAML file, or to the
 * current directory when the spec comes from stdin. The server works out the file's type.
 */
export async function withFilesInlined(text: string, specFile: string): Promise<string> {
  const references = specFileReferences(text);
  if (references.length === 0) return text;
  const base = specFile === '-' ? process.cwd() : dirname(resolve(specFile));
  const contents = new Map<string, Buffer>();
  for (const reference of references) {
    const path = resolve(base, reference.file);
    if (contents.has(path)) continue;
    try {
      contents.set(path, await readFile(path));
    } catch (error) {
      throw new UsageError(`${specFile === '-' ? 'stdin' : specFile} line ${reference.line}: cannot read the test input file ${reference.file} (${path}): ${(error as Error).message}`);
    }
  }
  return replaceFileReferences(text, references, (reference) => {
    const bytes = contents.get(resolve(base, reference.file))!;
    return JSON.stringify({ filename: basename(reference.file), url: `data:application/octet-stream;base64,${bytes.toString('base64')}` });
  });
}
