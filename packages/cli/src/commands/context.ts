/**
 * What the API commands share: terminal I/O (injectable for tests), the client built from the
 * global --base-url / --api-key flags, the action wrapper that turns errors into exit codes,
 * prompts, input files and list options.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConnectionError, Verdict, VerdictError, type PagePromise, type PaginationParams, type VerdictOptions } from '@verdict/sdk';
import { createStyle, EXIT, json, safe, type OutputStream, type Style } from '../output.js';

export interface InputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: InputStream;
  env: Record<string, string | undefined>;
  setExitCode(code: number): void;
  /** Calls `listener` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt(listener: () => void): () => void;
}

export interface CliContext {
  io: CliIo;
  createClient(options: VerdictOptions): Verdict;
}

/**
 * The server package, loaded by the commands that run it or open its store (serve, worker, keys)
 * when they run: loading it costs every other command (all API clients) a second or more of start-up.
 */
export function loadServer(): Promise<typeof import('@verdict/server')> {
  return import('@verdict/server');
}

export function defaultContext(): CliContext {
  return {
    io: {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      setExitCode: (code) => {
        process.exitCode = code;
      },
      onInterrupt: (listener) => {
        process.on('SIGINT', listener);
        return () => process.off('SIGINT', listener);
      },
    },
    createClient: (options) => new Verdict(options),
  };
}

/** Bad flags, files or answers: reported without a stack and exit code 3. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The user pressed Ctrl-C and chose to leave the run going. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** Adds --base-url and --api-key to the program once, whichever command group registers first. */
export function ensureConnectionOptions(program: Command): void {
  if (program.options.some((option) => option.long === '--base-url')) return;
  program
    .option('--base-url <url>', 'Verdict server URL (default: $VERDICT_BASE_URL, else http://127.0.0.1:8787)')
    .option('--api-key <key>', 'API key (default: $VERDICT_API_KEY)');
}

/** One run of one command: its options, its client and its output. */
export class Invocation {
  readonly style: Style;
  readonly errorStyle: Style;
  #client: Verdict | undefined;

  constructor(
    readonly context: CliContext,
    readonly command: Command,
  ) {
    this.style = createStyle(context.io.stdout, context.io.env);
    this.errorStyle = createStyle(context.io.stderr, context.io.env);
  }

  get io(): CliIo {
    return this.context.io;
  }

  options<T>(): T {
    return this.command.opts<T & Record<string, unknown>>();
  }

  get json(): boolean {
    return this.options<{ json?: boolean }>().json === true;
  }

  get client(): Verdict {
    const globals = this.command.optsWithGlobals<{ baseUrl?: string; apiKey?: string }>();
    this.#client ??= this.context.createClient({ baseUrl: globals.baseUrl, apiKey: globals.apiKey });
    return this.#client;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** Interactive means a person can answer a prompt: stdin and stderr are terminals. */
  get interactive(): boolean {
    return Boolean(this.io.stdin.isTTY && this.io.stderr.isTTY);
  }
}

type Handler = (invocation: Invocation, ...positionals: string[]) => Promise<number | void>;

/** Wraps a command handler: its return value is the exit code, an error is printed and exits 3 (130 if interrupted). */
export function action(context: CliContext, handler: Handler): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const invocation = new Invocation(context, command);
    try {
      context.io.setExitCode((await handler(invocation, ...(args.slice(0, -2) as string[]))) ?? EXIT.ok);
    } catch (error) {
      invocation.err(describeError(error, invocation.errorStyle));
      context.io.setExitCode(error instanceof InterruptedError ? EXIT.interrupted : EXIT.usage);
    }
  };
}

function issueLine(issue: unknown): string {
  if (typeof issue !== 'object' || issue === null) return safe(issue);
  const fields = issue as Record<string, unknown>;
  const where = fields.path ?? (Array.isArray(fields.loc) ? fields.loc.join('.') : undefined);
  const line = typeof fields.line === 'number' ? ` (line ${fields.line})` : '';
  const text = fields.message ?? fields.msg ?? JSON.stringify(issue);
  return safe(`${where ? `${String(where)}: ` : ''}${String(text)}${line}`);
}

/** details.issues (validation) or details.diagnostics.issues (workflow specs), one per line. */
function issuesOf(details: Record<string, unknown>): unknown[] {
  if (Array.isArray(details.issues)) return details.issues;
  const diagnostics = details.diagnostics as { issues?: unknown } | undefined;
  return Array.isArray(diagnostics?.issues) ? diagnostics.issues : [];
}

/** The SDK names its own options (`apiKey`, `baseUrl`); on the command line the user has flags. */
function cliWording(error: VerdictError): string {
  if (error.code === 'missing_api_key') {
    return 'No API key: pass --api-key <key> or set VERDICT_API_KEY (the key `npm start` printed on its first start, or one from `verdict keys create --data-dir <the server\'s data dir>`).';
  }
  if (error.code === 'invalid_base_url') return `${error.message} (from --base-url or VERDICT_BASE_URL)`;
  return error.message;
}

export function describeError(error: unknown, style: Style): string {
  if (error instanceof InterruptedError) return `${error.message}\n`;
  if (!(error instanceof Error)) return `${style.red('Error:')} ${safe(error)}\n`;
  // Our own messages may span lines; the server's are shown on one, stripped of control characters.
  const message = error instanceof VerdictError ? safe(cliWording(error)) : error.message;
  const lines = [`${style.red('Error:')} ${message}`];
  if (error instanceof ConnectionError) {
    lines.push(style.dim('Is the server running? Point the CLI at it with --base-url or VERDICT_BASE_URL.'));
  } else if (error instanceof VerdictError && error.status !== null) {
    const requestId = error.requestId ? `, request ${safe(error.requestId)}` : '';
    lines.push(style.dim(`(${safe(error.code)}, HTTP ${error.status}${requestId})`));
    lines.push(...issuesOf(error.details).map((issue) => `  - ${issueLine(issue)}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Reads one line from stdin after writing `question` to stderr. Resolves null on end of input
 * or when `signal` aborts.
 */
export function ask(io: CliIo, question: string, signal?: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    const reader = createInterface({ input: io.stdin, terminal: false });
    let answer: string | null = null;
    const close = () => reader.close();
    reader.once('line', (line) => {
      answer = line;
      reader.close();
    });
    reader.once('close', () => {
      signal?.removeEventListener('abort', close);
      resolve(answer);
    });
    signal?.addEventListener('abort', close, { once: true });
    io.stderr.write(question);
  });
}

export const isYes = (answer: string | null): boolean => answer !== null && /^\s*y(es)?\s*$/i.test(answer);

/** A person confirms on a terminal; elsewhere only --yes does. */
export async function confirmOrRequireYes(invocation: Invocation, question: string, yes: boolean | undefined, refusal: string): Promise<boolean> {
  if (yes) return true;
  if (!invocation.interactive) throw new UsageError(refusal);
  return isYes(await ask(invocation.io, `${question} [y/N] `));
}

async function readAll(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** A file's text, or stdin's for `-`. */
export async function readInput(io: CliIo, path: string): Promise<string> {
  if (path === '-') return readAll(io.stdin);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

export async function readJsonInput(io: CliIo, path: string): Promise<unknown> {
  const text = await readInput(io, path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path === '-' ? 'stdin' : path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return number;
  };
}

/** A repeatable option's parser: each occurrence appended to the list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const jsonOption = (command: Command): Command => command.option('--json', 'print the raw JSON answer');

export function addListOptions(command: Command): Command {
  return jsonOption(
    command
      .option('--limit <n>', 'items per page, 1-100 (default: the server\'s)', integerOption(1, 100))
      .option('--after <cursor>', 'the page after this id (from list_metadata.after)')
      .option('--before <cursor>', 'the page before this id')
      .addOption(new Option('--order <order>', 'sort direction').choices(['asc', 'desc']))
      .option('--all', 'fetch every page'),
  );
}

interface ListFlags extends PaginationParams {
  all?: boolean;
}

export function paginationOf(invocation: Invocation): PaginationParams {
  const { limit, after, before, order } = invocation.options<ListFlags>();
  if (after !== undefined && before !== undefined) throw new UsageError('Pass either --after or --before, not both.');
  return { limit, after, before, order };
}

/** Prints one page (or, with --all, every item) as a table or as JSON. */
export async function printList<T>(invocation: Invocation, list: PagePromise<T>, render: (items: T[]) => string, noun: string): Promise<void> {
  if (invocation.options<ListFlags>().all) {
    const items: T[] = [];
    for await (const item of list) items.push(item);
    invocation.out(invocation.json ? json(items) : items.length ? render(items) : `No ${noun}.\n`);
    return;
  }
  const page = await list;
  if (invocation.json) return invocation.out(json(page));
  invocation.out(page.data.length ? render(page.data) : `No ${noun}.\n`);
  if (page.hasMore()) invocation.err(invocation.errorStyle.dim(`More ${noun}: add --after ${page.list_metadata.after} (or --all).\n`));
}
