/**
 * The README's "Your first suite" walkthrough, run as a newcomer would: a fresh server started the
 * way `npm start` starts it, then every marked block of the README exactly as written (shell blocks
 * through bash and `npx verdict`, the YAML saved as the README names it, the fix applied as its diff
 * shows). The only substitutions are the ones the README asks of its reader: the server's URL and
 * key in the `connect` block, and the run id the run printed (`wftestrun_…`). What the README's prose
 * says comes out (counts, the failing test, expected and actual) is checked against what does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, spawnVerdict, VERDICT_CLI, type VerdictProcess } from '@verdict/server/testing/processes';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
/** "Under 10 minutes" for a person; the commands themselves must take a small part of it. */
const WELL_UNDER_TEN_MINUTES_MS = 4 * 60_000;
/** A loaded CI machine can take a while to start a process that loads the whole server. */
const SERVER_START_TIMEOUT_MS = 120_000;

interface Block {
  step: string;
  argument: string | undefined;
  body: string;
}

/** The section's marked blocks, by step: `<!-- first-suite: step [argument] -->` then a fenced block. */
function firstSuiteBlocks(readme: string): { prose: string; blocks: Map<string, Block> } {
  const start = readme.indexOf('### Your first suite');
  assert.ok(start >= 0, 'the README has a "Your first suite" section');
  const end = readme.indexOf('\n### ', start + 1);
  const prose = readme.slice(start, end < 0 ? undefined : end);
  const blocks = new Map<string, Block>();
  for (const match of prose.matchAll(/<!-- first-suite: (\w+)(?: (\S+))? -->\n```\w*\n([\s\S]*?)\n```/g)) {
    assert.ok(!blocks.has(match[1]!), `one ${match[1]} block`);
    blocks.set(match[1]!, { step: match[1]!, argument: match[2], body: match[3]! });
  }
  return { prose, blocks };
}

function blockOf(blocks: Map<string, Block>, step: string): Block {
  const block = blocks.get(step);
  assert.ok(block, `the README marks a "${step}" block`);
  return block;
}

interface Shell {
  code: number | null;
  output: string;
}

/** Runs a README shell block with bash in `cwd`, after the connect block, as one terminal session would. */
function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Shell> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** This environment without Verdict's own settings: the README's block sets what the commands need. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VERDICT_|RETAB_|NO_COLOR|FORCE_COLOR)/.test(name)));
}

/** "the test (`reduced rate · equals tax`) … expected (`11.5`) … produced (`11`)": what the prose promises. */
function promisedFailure(prose: string) {
  const match = /the test \(`([^`]+)`\).*?expected \(`([^`]+)`\).*?produced \(`([^`]+)`\)/s.exec(prose);
  assert.ok(match, 'the README says which test fails, what it expected and what the block produced');
  return { test: match[1]!, expected: match[2]!, actual: match[3]! };
}

/** The plans the prose shows, in order: `Plan: … to add, … to change, … to destroy.` */
function promisedPlans(prose: string): string[] {
  const plans = [...prose.matchAll(/`(Plan: [^`]+)`/g)].map((match) => match[1]!);
  assert.equal(plans.length, 2, 'the README shows the plan of both applies');
  return plans;
}

/** The output's table has one row of a test (names hold ` · `): the promised failure, with its expected and actual values. */
function assertFailureRows(output: string, failure: ReturnType<typeof promisedFailure>): void {
  assert.match(output, /CHECK\s+EXPECTED\s+ACTUAL/, output);
  const rows = output.split('\n').filter((line) => line.includes(' · '));
  assert.equal(rows.length, 1, `one row, the failure:\n${output}`);
  assert.ok(rows[0]!.includes(failure.test), `the row is ${failure.test}'s: ${rows[0]}`);
  const values = new RegExp(`\\s${failure.expected.replaceAll('.', '\\.')}\\s+${failure.actual.replaceAll('.', '\\.')}\\s`);
  assert.match(rows[0]!, values, `expected ${failure.expected}, actual ${failure.actual}`);
}

describe('the README\'s "Your first suite", run as written (issue 24, done when)', () => {
  let work: string;
  let server: VerdictProcess;
  let env: NodeJS.ProcessEnv;
  let connect: string;
  const startedAt = Date.now();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'verdict-first-suite-'));
    // What a clone after `npm install` gives `npx verdict`: the CLI as a local bin. Offline, npx
    // never fetches a package of that name from the registry instead.
    await mkdir(join(work, 'node_modules', '.bin'), { recursive: true });
    await symlink(VERDICT_CLI, join(work, 'node_modules', '.bin', 'verdict'));
    await writeFile(join(work, 'package.json'), '{ "private": true }\n');
    env = { ...cleanEnvironment(), npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_cache: join(work, '.npm') };

    const port = await freePort();
    server = spawnVerdict(['serve', '--port', String(port), '--data-dir', join(work, '.verdict')], env);
    const url = /serving (http\S+)/.exec(await server.line(/Verdict is serving/, SERVER_START_TIMEOUT_MS))![1]!;
    const key = /(vk_\S+)/.exec(await server.line(/API key \(shown once/))![1]!;

    const block = blockOf(firstSuiteBlocks(await readFile(README, 'utf8')).blocks, 'connect').body;
    assert.match(block, /^export VERDICT_BASE_URL=\S+/m, 'the README sets the server URL');
    assert.match(block, /^export VERDICT_API_KEY=\S+/m, 'the README sets the key');
    connect = block.replace(/^export VERDICT_BASE_URL=\S+/m, `export VERDICT_BASE_URL=${url}`).replace(/^export VERDICT_API_KEY=\S+/m, `export VERDICT_API_KEY=${key}`);
  });
  after(async () => {
    await server?.kill();
    await rm(work, { recursive: true, force: true });
  });

  test('10 cases, 25 assertions: applied, run, one failure read and fixed, green, all well under ten minutes', async (t) => {
    const { prose, blocks } = firstSuiteBlocks(await readFile(README, 'utf8'));
    const shell = async (step: string, substitute: (body: string) => string = (body) => body) => {
      const stepStartedAt = Date.now();
      const done = await runShell(`${connect}\n${substitute(blockOf(blocks, step).body)}`, work, env);
      t.diagnostic(`${step}: ${Date.now() - stepStartedAt} ms`);
      return done;
    };
    const failure = promisedFailure(prose);

    // The suite, saved as the README names it.
    const file = blockOf(blocks, 'file');
    assert.ok(file.argument, 'the file block names its file');
    await writeFile(join(work, file.argument), `${file.body}\n`);
    const tests = file.body.slice(file.body.indexOf('\n  tests:\n'));
    assert.equal(tests.match(/^ {4}- name: /gm)?.length, 10, 'ten cases');
    assert.equal(tests.match(/^ {8}- \{path: /gm)?.length, 25, 'twenty-five assertions');
    assert.match(prose, /10 cases and 25\s+assertions/);

    const applied = await shell('apply');
    const [firstPlan, secondPlan] = promisedPlans(prose);
    assert.equal(applied.code, 0, applied.output);
    assert.match(applied.output, /\+ test "one line, standard rate · equals is_valid"/, 'the plan lists the tests it adds');
    assert.ok(applied.output.includes(firstPlan!), `the plan the README shows (${firstPlan}):\n${applied.output}`);
    assert.match(applied.output, /Applied: workflow wf_first_suite created/);

    const run = await shell('run');
    assert.equal(run.code, 1, `a failed test exits 1:\n${run.output}`);
    assert.match(run.output, /24 passed/);
    assert.match(run.output, /1 failed/);
    assert.match(prose, /24 tests pass and one fails, so the command exits with code 1/);
    assertFailureRows(run.output, failure);
    const runId = /wftestrun_\w+/.exec(run.output)?.[0];
    assert.ok(runId, 'the run id is printed');

    const read = await shell('read', (body) => body.replaceAll('wftestrun_…', runId));
    assert.equal(read.code, 0, read.output);
    assertFailureRows(read.output, failure);

    const fix = blockOf(blocks, 'fix');
    const removed = fix.body.split('\n').filter((line) => line.startsWith('-')).map((line) => line.slice(1));
    const added = fix.body.split('\n').filter((line) => line.startsWith('+')).map((line) => line.slice(1));
    assert.equal(removed.length, 1);
    const path = join(work, fix.argument!);
    const before = await readFile(path, 'utf8');
    assert.equal(before.split(removed[0]!).length, 2, `the line the fix replaces is in ${fix.argument} once`);
    await writeFile(path, before.replace(removed[0]!, added.join('\n')));

    const rerun = await shell('rerun');
    assert.equal(rerun.code, 0, `the fixed suite passes:\n${rerun.output}`);
    assert.ok(rerun.output.includes(secondPlan!), `the plan the README shows (${secondPlan}):\n${rerun.output}`);
    assert.match(rerun.output, new RegExp(`~ test "${failure.test}"`), 'the plan names the test it changes');
    assert.match(rerun.output, /25 passed/);
    assert.match(prose, /All 25 pass, and the command exits with 0/);

    const elapsed = Date.now() - startedAt;
    t.diagnostic(`from the server's start to the green run: ${elapsed} ms`);
    assert.ok(elapsed < WELL_UNDER_TEN_MINUTES_MS, `the walkthrough's commands took ${elapsed} ms`);
  });
});
