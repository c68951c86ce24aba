import { readdirSync, readFileSync } from 'node:fs';
import { allResults, createFunctionWorkflow, createTests, startRun, type TestSpec } from '../../testing/fixtures.js';
import { waitForRun, type TestApp } from '../../testing/harness.js';

export interface PythonRun {
  run: any;
  rows: any[];
}

/** One Python function block with `specs` as its tests, run through the API; every row of the run, in order. */
export async function runPython(
  app: TestApp,
  code: string,
  specs: TestSpec[],
  options: { timeoutSeconds?: number; outputSchema?: Record<string, unknown>; inputSchema?: Record<string, unknown>; apiKey?: string } = {},
): Promise<PythonRun> {
  const fixture = await createFunctionWorkflow(app, code, { language: 'python', ...options });
  await createTests(app, fixture, specs);
  const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 120_000);
  return { run, rows: await allResults(app, run.id) };
}

/** The output of a Python test whose transform reports what it tried; throws with the row when the test did not pass. */
export async function probe(app: TestApp, code: string, input: unknown, timeoutSeconds = 30): Promise<Record<string, string>> {
  const { rows } = await runPython(app, code, [{ input, condition: { kind: 'exists' } }], { timeoutSeconds });
  const [row] = rows;
  if (row.verdict !== 'passed') throw new Error(`the probe did not answer: ${JSON.stringify(row.error ?? row.assertion_result)}`);
  return row.outputs['output-json-0'];
}

/** Python for `probe`: `attempt(action)` is "denied: <exception>" when the action raised, else "ALLOWED: <what it returned>". */
export const ATTEMPT = `import os

def attempt(action):
    try:
        result = action()
    except BaseException as error:
        return 'denied: ' + type(error).__name__ + ': ' + str(error)[:200]
    return 'ALLOWED: ' + repr(result)[:200]
`;

/** Processes whose parent is `parentPid` and whose command line holds `needle` (Linux /proc). */
export function childProcesses(parentPid: number, needle = ''): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      if (needle && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The zygote of this Node process, if one runs. */
export function zygotePid(): number | undefined {
  return childProcesses(process.pid, 'zygote.py')[0];
}
