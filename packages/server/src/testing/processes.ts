import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sleep } from './fixtures.js';

/** The `verdict` command of this checkout (run after the build). */
export const VERDICT_CLI = fileURLToPath(new URL('../../../cli/bin/verdict.js', import.meta.url));

export interface VerdictProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first output line matching `pattern` (already printed or to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL, and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `verdict <args>` as its own process, collecting what it prints. */
export function spawnVerdict(args: string[], env: NodeJS.ProcessEnv): VerdictProcess {
  const child = spawn(process.execPath, [VERDICT_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return {
    child,
    output,
    async line(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = output.find((text) => pattern.test(text));
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`verdict ${args.join(' ')} never printed ${pattern}:\n${output.join('\n')}`);
        await sleep(20);
      }
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A JSON client of one server and key; an answer of 300 or more throws with its body. */
export function jsonClient(baseUrl: string, apiKey: string) {
  return async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}
