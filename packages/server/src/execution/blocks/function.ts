import { DEFAULT_FUNCTION_TIMEOUT_SECONDS, functionLanguage, oncePerObject, sha256Hex, type JsonSchemaIssue } from '@verdict/core';
import { JsonText } from '../../store/transitions/index.js';
import { PythonOutput, type PythonSandbox } from '../python/index.js';
import type { SandboxOutcome, SandboxPool } from '../sandbox/index.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutionRequest, type BlockExecutor, type BlockUnderTest } from './types.js';

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The run was cancelled.', 'AbortError');
}

/**
 * The input of a function block: the data of its JSON handle input `input-json-0`, taken from the
 * test's source in the sandbox (null when the handle is missing or a file, or the test's source is
 * not manual): the main thread never parses or serialises it.
 */
const INPUT_IN_SOURCE = ['handle_inputs', 'input-json-0', 'data'] as const;
const OUTPUT_HANDLE = 'output-json-0';
/** The JSON text of each schema (schemas live as long as their workflow snapshot). */
const schemaTextOnce = oncePerObject((schema: object) => JSON.stringify(schema));

/**
 * `function` blocks. JavaScript: `transform(input)` in the sandbox; the sandbox thread also checks
 * the output against `output_schema` and evaluates the assertion, so the output reaches the main
 * thread as checked JSON text, which is recorded as it is. Python: `transform(input_data)` in a
 * confined child of the Python sandbox's zygote; its output (JSON text, bounded in size and depth)
 * then gets the same checks in a sandbox thread, as a model block's answer does.
 */
export class FunctionBlockExecutor implements BlockExecutor {
  readonly blockTypes = ['function'] as const;
  private readonly codeKeys = new Map<string, string>();
  /** Each Python code as a JSON string literal, spliced into the requests of its tests. */
  private readonly codeLiterals = new Map<string, string>();

  constructor(
    private readonly pool: SandboxPool,
    private readonly python: PythonSandbox | null = null,
  ) {}

  async execute(request: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    const { block, inputs, assertionJson, signal, organizationId } = request;
    const config = block.config;
    const language = functionLanguage(config);
    if (language === 'python') return this.executePython(request);
    if (language !== 'javascript') {
      throw new BlockExecutionError(`Function block \`${block.id}\` has language ${String(config.language)}; set language: "javascript" or "python".`, 'block_execution_failed', {
        language: config.language,
      });
    }
    const code = typeof config.code === 'string' ? config.code : '';
    const outcome = await this.pool.run({
      codeKey: this.codeKeyOf(code),
      code,
      inputIn: { json: inputs.sourceJson, path: INPUT_IN_SOURCE },
      timeoutMs: timeoutMsOf(config),
      check: { outputSchemaJson: this.schemaTextOf(config.output_schema), assertionJson, handleId: OUTPUT_HANDLE },
      signal,
      tenant: organizationId,
    });
    return checkedOutput(block.id, outcome, signal);
  }

  private async executePython({ block, inputs, assertionJson, signal, organizationId }: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    if (!this.python) throw new BlockExecutionError(`Function block \`${block.id}\` is written in Python; this process runs no Python sandbox.`, 'block_execution_failed');
    const config = block.config;
    const outputSchemaJson = this.schemaTextOf(config.output_schema);
    const outcome = await this.python.run({
      codeJson: this.codeLiteralOf(typeof config.code === 'string' ? config.code : ''),
      sourceJson: inputs.sourceJson,
      inputSchemaJson: this.schemaTextOf(block.inputSchema),
      outputSchemaJson,
      timeoutMs: timeoutMsOf(config),
      tenant: organizationId,
      signal,
    });
    if (!outcome.ok) return checkedOutput(block.id, outcome, signal);
    // The output is a child's bytes: a check thread always parses it (an empty schema when the block
    // has none), so text that is not JSON never reaches the store.
    const check = { outputSchemaJson: outputSchemaJson ?? '{}', assertionJson, handleId: OUTPUT_HANDLE };
    const logs = outcome instanceof PythonOutput ? outcome.logs : undefined;
    return checkedOutput(block.id, await this.pool.check(outcome.outputJson, check, organizationId, signal), signal, outcome.durationMs, logs);
  }

  private codeLiteralOf(code: string): string {
    let literal = this.codeLiterals.get(code);
    if (literal === undefined) {
      literal = JSON.stringify(code);
      if (this.codeLiterals.size > 1000) this.codeLiterals.clear();
      this.codeLiterals.set(code, literal);
    }
    return literal;
  }

  private codeKeyOf(code: string): string {
    let key = this.codeKeys.get(code);
    if (key === undefined) {
      key = sha256Hex(code);
      if (this.codeKeys.size > 1000) this.codeKeys.clear();
      this.codeKeys.set(code, key);
    }
    return key;
  }

  /** null for no schema, or one that accepts everything (`{}`, `true`): nothing to check. */
  private schemaTextOf(schema: unknown): string | null {
    if (schema === undefined || schema === null || schema === true) return null;
    if (typeof schema !== 'object') return JSON.stringify(schema);
    if (!Array.isArray(schema) && Object.keys(schema).length === 0) return null;
    return schemaTextOnce(schema);
  }
}

function timeoutMsOf(config: BlockUnderTest['config']): number {
  return (typeof config.timeout_seconds === 'number' ? config.timeout_seconds : DEFAULT_FUNCTION_TIMEOUT_SECONDS) * 1000;
}

/**
 * The block's result from what its sandbox thread answered: a failure or an output_schema problem
 * blocks the test. `durationMs`: the transform's own time when it ran elsewhere than the checks;
 * `logs`: what Python code printed (a failed Python test carries them in its failure's details).
 */
function checkedOutput(blockId: string, outcome: SandboxOutcome, signal: AbortSignal, durationMs = outcome.durationMs, logs?: string): BlockExecutionOutput {
  if (!outcome.ok) {
    if (outcome.reason === 'aborted') throw abortError(signal);
    // A block that ran but whose assertion could not be evaluated in time is not the block's failure.
    const code = outcome.reason === 'check_timeout' && outcome.details?.check === 'assertion' ? 'execution_error' : 'block_execution_failed';
    throw ranFor(durationMs, new BlockExecutionError(outcome.message, code, { reason: outcome.reason, ...(outcome.details ?? {}) }));
  }
  const checked = outcome.checked;
  if (checked?.kind === 'output_schema_invalid') {
    throw ranFor(durationMs, new BlockExecutionError(`The output_schema of block \`${blockId}\` is not a valid JSON Schema: ${checked.message}`, 'block_execution_failed'));
  }
  if (checked?.kind === 'output_schema_mismatch') {
    throw ranFor(
      durationMs,
      new BlockExecutionError(`transform() returned a value that does not match output_schema: ${describeIssues(checked.issues)}`, 'block_execution_failed', {
        validation_errors: checked.issues,
        ...(logs === undefined ? {} : { logs }),
      }),
    );
  }
  const output: BlockExecutionOutput = {
    outputs: new JsonText(`{"${OUTPUT_HANDLE}":${outcome.outputJson}}`),
    routingDecision: null,
    warnings: [],
    details: logs === undefined ? { duration_ms: durationMs } : { duration_ms: durationMs, logs },
    executionMs: durationMs,
  };
  if (checked?.kind === 'evaluated') output.assertion = { verdict: checked.verdict, result: new JsonText(checked.assertionResultJson) };
  return output;
}

/** A failure of a block that ran: its own time goes with it. */
function ranFor(executionMs: number, error: BlockExecutionError): BlockExecutionError {
  error.executionMs = executionMs;
  return error;
}

function describeIssues(issues: JsonSchemaIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path || '(root)'} ${issue.message}`)
    .join('; ');
}
