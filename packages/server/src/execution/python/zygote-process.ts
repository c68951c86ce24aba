import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, FrameKind, type ZygoteFrame } from './frames.js';

/** Shipped with the server package, beside dist/ and src/. */
export const ZYGOTE_PATH = fileURLToPath(new URL('../../../python/verdict_runner/zygote.py', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STDERR_TAIL_CHARS = 2000;

/** What the zygote says of itself once confined and ready (zygote.py's READY frame). */
export interface ZygoteReport {
  python: string;
  executable: string;
  preloaded: string[];
  start_ms: number;
  rss_kb: number;
  landlock_abi: number;
  uid: number;
  keeps_cap_dac_read_search: boolean;
  read_only: string[];
  [fact: string]: unknown;
}

export interface ZygoteHandlers {
  /** Every frame after the start report. */
  frame(frame: ZygoteFrame): void;
  /** The zygote stopped without being asked to (its children died with it). */
  exited(description: string): void;
}

/** `lasting`: the zygote itself said Python cannot be confined here (a retry would say the same). */
export type ZygoteStart = { ok: true; zygote: ZygoteProcess; report: ZygoteReport } | { ok: false; message: string; lasting: boolean };

/**
 * One zygote process: `python -I -S zygote.py`, started with an empty environment (nothing of
 * Verdict's, no secret) in an empty directory of its own, in a process group of its own so that
 * stopping it stops every child it forked. It never keeps Node's event loop alive by itself.
 */
export class ZygoteProcess {
  readonly #child: ChildProcess;
  readonly #cwd: string;
  #stderr = '';
  #stopping = false;
  #exited: Promise<void>;

  private constructor(child: ChildProcess, cwd: string) {
    this.#child = child;
    this.#cwd = cwd;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
    });
    // A write after the zygote died fails here; its death is reported by 'exit'.
    child.stdin!.on('error', () => undefined);
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr] as unknown as Array<{ unref?: () => void }>) stream.unref?.();
  }

  static async start(executable: string, packagesDir: string | null, handlers: ZygoteHandlers): Promise<ZygoteStart> {
    const cwd = await mkdtemp(join(tmpdir(), 'verdict-python-'));
    const args = ['-I', '-S', ZYGOTE_PATH, `--parent-pid=${process.pid}`, ...(packagesDir ? [`--packages=${packagesDir}`] : [])];
    const child = spawn(executable, args, { env: {}, cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const zygote = new ZygoteProcess(child, cwd);
    return new Promise<ZygoteStart>((resolve) => {
      const decoder = new FrameDecoder();
      let started = false;
      const fail = (message: string, lasting = false) => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        void zygote.stop();
        resolve({ ok: false, message, lasting });
      };
      const timer = setTimeout(() => fail(`the Python runner did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      child.once('error', (error) => fail(`the Python runner could not be started: ${error.message}`));
      child.once('exit', (code, signal) => {
        if (!started) return fail(`the Python runner exited before it was ready (${exitDescription(code, signal)})${zygote.#stderrSuffix()}`);
        if (!zygote.#stopping) handlers.exited(`${exitDescription(code, signal)}${zygote.#stderrSuffix()}`);
        void rm(cwd, { recursive: true, force: true });
      });
      child.stdout!.on('data', (data: Buffer) => {
        for (const frame of decoder.push(data)) {
          if (started) {
            handlers.frame(frame);
            continue;
          }
          const report = startReport(frame.payload);
          if (!report) return fail(`the Python runner sent an unreadable start report${zygote.#stderrSuffix()}`);
          if (frame.kind !== FrameKind.ready) return fail(typeof report.message === 'string' ? report.message : 'the Python runner is unavailable', true);
          started = true;
          clearTimeout(timer);
          resolve({ ok: true, zygote, report });
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Until `uncork`, frames sent are held and then written together (one write for several tests). */
  cork(): void {
    this.#child.stdin!.cork();
  }

  uncork(): void {
    this.#child.stdin!.uncork();
  }

  send(buffers: Buffer[]): void {
    const stdin = this.#child.stdin!;
    stdin.cork();
    for (const buffer of buffers) stdin.write(buffer);
    stdin.uncork();
  }

  /** Stops the zygote and every child it forked (its process group); resolves once it has exited. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#child.ref(); // whoever awaits the stop keeps the event loop alive until the exit
    const pid = this.#child.pid;
    if (pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.#child.kill('SIGKILL');
      }
    }
    return pid === undefined ? rm(this.#cwd, { recursive: true, force: true }) : this.#exited;
  }

  #stderrSuffix(): string {
    const tail = this.#stderr.trim();
    return tail === '' ? '' : `: ${tail.split('\n').slice(-5).join(' | ')}`;
  }
}

function startReport(payload: Buffer): (ZygoteReport & { message?: unknown }) | undefined {
  try {
    const report: unknown = JSON.parse(payload.toString('utf8'));
    return typeof report === 'object' && report !== null ? (report as ZygoteReport) : undefined;
  } catch {
    return undefined;
  }
}

function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
