#!/usr/bin/env node
// Builds Retab's official SDKs of the given commits from a clone of retab-dev/retab, outside this
// project: clients/node installed and compiled as its package.json says, clients/python installed
// into a virtualenv. Nothing of Retab's is copied into Verdict; everything lands under --cache.
//
//   node scripts/sdk-conformance/setup.mjs --retab-repo <clone> [--cache /work/sdk-check] [--commits 393edb37,61d9c44e] [--python python3]
//
// A commit already built (its .built marker present) is skipped, so re-running is cheap.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const DEFAULT_COMMITS = ['393edb37', '61d9c44e'];
export const DEFAULT_CACHE = '/work/sdk-check';

/** Where setup put one commit's SDKs (the runner and the scenarios read these paths). */
export function sdkPaths(cache, commit) {
  const root = join(cache, commit);
  return {
    root,
    node: join(root, 'clients/node'),
    python: join(root, 'venv/bin/python'),
    built: join(root, '.built'),
  };
}

function run(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function materialise(retabRepo, commit, root) {
  mkdirSync(root, { recursive: true });
  // `git archive` works on bare mirrors and ordinary clones alike and leaves the clone untouched.
  const archive = spawnSync('git', ['-C', retabRepo, 'archive', '--format=tar', commit, 'clients/node', 'clients/python'], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${commit}: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', root], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
}

function buildNode(nodeDir) {
  // The lock file pins what Retab built with; `prepare` (tsc) runs as part of the install.
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: nodeDir });
  if (!existsSync(join(nodeDir, 'dist/index.js'))) run('npm', ['run', 'build'], { cwd: nodeDir });
}

function tryRun(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit', ...options }).status === 0;
}

/**
 * A virtualenv with clients/python installed editable. `--system-site-packages` lets a machine
 * without PyPI fill a missing dependency from the system (e.g. Debian's python3-puremagic); the
 * venv's own packages still come first. Without PyPI, `pip install -e` fails as a whole, so the
 * SDK is then installed without dependencies and each requirement is tried on its own.
 */
function buildPython(root, python) {
  const venv = join(root, 'venv');
  const pip = join(venv, 'bin/pip');
  const sdk = join(root, 'clients/python');
  const quick = ['--quiet', '--retries', '0', '--timeout', '15'];
  run(python, ['-m', 'venv', '--system-site-packages', venv]);
  if (!tryRun(pip, ['install', ...quick, '-e', sdk])) {
    run(pip, ['install', ...quick, '--no-deps', '-e', sdk]);
    const requirements = readFileSync(join(sdk, 'requirements.txt'), 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    for (const requirement of requirements) {
      if (!tryRun(pip, ['install', ...quick, requirement])) console.log(`  (could not install ${requirement}; the import check below tells whether the SDK needs it)`);
    }
  }
  run(join(venv, 'bin/python'), ['-c', 'import retab; print("retab imported from", retab.__file__)']);
}

export function setup({ retabRepo, cache, commits, python }) {
  for (const commit of commits) {
    const paths = sdkPaths(cache, commit);
    if (existsSync(paths.built)) {
      console.log(`${commit}: already built under ${paths.root}`);
      continue;
    }
    materialise(retabRepo, commit, paths.root);
    buildNode(paths.node);
    buildPython(paths.root, python);
    writeFileSync(paths.built, new Date().toISOString() + '\n');
    console.log(`${commit}: built under ${paths.root}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      'retab-repo': { type: 'string' },
      cache: { type: 'string', default: DEFAULT_CACHE },
      commits: { type: 'string', default: DEFAULT_COMMITS.join(',') },
      python: { type: 'string', default: 'python3' },
    },
  });
  if (!values['retab-repo']) {
    console.error('usage: setup.mjs --retab-repo <clone of retab-dev/retab> [--cache dir] [--commits a,b] [--python python3]');
    process.exit(2);
  }
  setup({ retabRepo: resolve(values['retab-repo']), cache: resolve(values.cache), commits: values.commits.split(','), python: values.python });
}
