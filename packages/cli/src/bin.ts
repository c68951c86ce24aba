import { supervisedProcessOf } from './supervise/command-line.js';
import { superviseThisCommand } from './supervise/supervisor.js';

// The supervisor only starts a child process: it does not load the CLI (a second or more under
// load), so that supervising adds little to the time `verdict serve` takes to be ready.
const supervised = supervisedProcessOf(process.argv.slice(2));
if (supervised) superviseThisCommand(supervised);
else {
  const { buildProgram } = await import('./program.js');
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(`verdict: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(3);
    });
}
