import assert from 'node:assert/strict';
import { test } from 'node:test';
import { supervisedProcessOf } from './command-line.js';

test('serve and worker run supervised unless they opt out; every other command runs in this process', () => {
  const cases: [string[], 'server' | 'worker' | null][] = [
    [['serve'], 'server'],
    [['serve', '--port', '0', '--no-demo'], 'server'],
    [['worker', '--concurrency', '8'], 'worker'],
    [['serve', '--no-supervise'], null],
    [['worker', '--data-dir', 'x', '--no-supervise'], null],
    [['runs', 'create', 'wf_1', '--wait'], null],
    [['keys', 'create'], null],
    [['--version'], null],
    [[], null],
  ];
  for (const [args, expected] of cases) assert.equal(supervisedProcessOf(args), expected, args.join(' '));
});
