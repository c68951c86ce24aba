/**
 * The README's quick start gives a newcomer their commands in order (issue 24 item 2): start the
 * server, then run the demo suite. `npm test` runs Verdict's own tests and belongs under Development.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The text of a `## ` section, up to the next one. */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Every command of the section's shell blocks, one per line, comments left out. */
function shellCommands(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)\n\s*```/g)].flatMap((match) =>
    match[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line && !line.startsWith('#')),
  );
}

test("the quick start's first command starts the server and its second runs the demo suite; npm test is under Development", async () => {
  const readme = await readFile(README, 'utf8');
  const commands = shellCommands(section(readme, 'Quick start'));
  assert.equal(commands[0], 'npm install && npm start');
  assert.match(commands[1]!, /npx verdict runs create wf_\S+ --wait$/, 'the second command runs the demo suite');
  assert.ok(!commands.includes('npm test'), 'npm test (Verdict\'s own suite) is not a quick-start command');
  assert.ok(shellCommands(section(readme, 'Development')).some((command) => command.startsWith('npm test')), 'Development says how to run Verdict\'s own tests');
});
