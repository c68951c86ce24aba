/**
 * Which command lines run under the supervisor: `verdict serve …` and `verdict worker …` (the
 * command first, as every documented form has it), unless they say `--no-supervise`. The supervisor re-runs the line in its child, which parses it (and
 * reports a bad flag or prints --help) exactly as an unsupervised process would.
 */
export function supervisedProcessOf(args: readonly string[]): 'server' | 'worker' | null {
  if (args.includes('--no-supervise')) return null;
  if (args[0] === 'serve') return 'server';
  if (args[0] === 'worker') return 'worker';
  return null;
}
