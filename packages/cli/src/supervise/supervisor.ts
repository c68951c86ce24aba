/**
 * The supervising parent of `verdict serve` and `verdict worker`. Node 20 can abort the whole
 * process while it terminates a worker thread (a V8 assertion, `NodePlatform::ForIsolate`), and
 * Verdict terminates sandbox threads on every check deadline, memory cap and cancel: a tenant
 * whose checks run long could take the API down. The supervisor runs the command in a child
 * process and starts it again when it dies unasked; runs resume as after any restart.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { CrashHistory, RESTART_LIMIT } from './restart-policy.js';
import { isReadyMessage, STOP_SIGNALS } from './supervised-process.js';

/** The exit code of a supervisor that stopped restarting a crashing child. */
export const GAVE_UP_EXIT_CODE = 1;

/** The exit code a shell reports for a process that ended so. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

function causeOf(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Runs this very command line again with `--no-supervise` in a child process that shares this
 * one's stdout and stderr, and keeps it running: restarts it when it dies of a signal or a non-zero
 * exit nobody asked for, on the port it bound first, until it crashes too often
 * (restart-policy.ts). Stop signals are passed on, and this process exits as the child did.
 * A child that fails before it was ever ready (bad configuration, a taken port) is not restarted:
 * its own message says why, and this process exits with its code.
 */
export function superviseThisCommand(label: 'server' | 'worker'): void {
  const entry = process.argv[1]!;
  const args = [...process.argv.slice(2), '--no-supervise'];
  const crashes = new CrashHistory();
  let everReady = false;
  let stopRequested = false;
  let port: number | null = null;
  let pendingRestart: NodeJS.Timeout | undefined;
  let child: ChildProcess | undefined;

  const start = () => {
    const portArgs = port === null ? [] : ['--port', String(port)];
    // Its own session (detached): a Ctrl-C in the terminal reaches the supervisor alone, which passes it on once.
    const started = fork(entry, [...args, ...portArgs], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    child = started;
    started.on('message', (message) => {
      if (!isReadyMessage(message)) return;
      everReady = true;
      port = message.port ?? port;
    });
    started.once('exit', (code, signal) => {
      child = undefined;
      if (stopRequested || code === 0 || !everReady) process.exit(exitCodeOf(code, signal));
      const decision = crashes.record(Date.now());
      const windowSeconds = RESTART_LIMIT.windowMs / 1000;
      if (!decision.restart) {
        console.error(`verdict: the ${label} process (pid ${started.pid}) ${causeOf(code, signal)}, its ${decision.recentCrashes}th crash within ${windowSeconds} s; giving up. Fix the cause and start it again.`);
        process.exit(GAVE_UP_EXIT_CODE);
      }
      console.error(`verdict: the ${label} process (pid ${started.pid}) ${causeOf(code, signal)}; restarting it in ${decision.pauseMs / 1000} s (crash ${decision.recentCrashes} within ${windowSeconds} s; the ${RESTART_LIMIT.crashes}th stops restarts).`);
      pendingRestart = setTimeout(start, decision.pauseMs);
    });
  };

  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      stopRequested = true;
      if (child) child.kill(signal);
      else {
        clearTimeout(pendingRestart);
        process.exit(0);
      }
    });
  }
  start();
}
