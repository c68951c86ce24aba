import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`verdict: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(3);
  });
