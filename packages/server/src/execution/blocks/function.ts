import { compileJsonSchema, DEFAULT_FUNCTION_TIMEOUT_SECONDS, functionLanguage, sha256Hex } from '@verdict/core';
import type { SandboxPool } from '../sandbox/index.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutionRequest, type BlockExecutor } from './types.js';

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The run was cancelled.', 'AbortError');
}

/**
 * The input of a function block: the data of its JSON handle input `input-json-0`, taken from the
 * test's source in the sandbox (null when the handle is missing or a file, or the test's source is
 * not manual): the main thread never parses or serialises it.
 */
const INPUT_IN_SOURCE = ['handle_inputs', 'input-json-0', 'data'] as const;

/** `function` blocks with `language: "javascript"`: `transform(input)` in the sandbox, output checked against `output_schema`. */
export class FunctionBlockExecutor implements BlockExecutor {
  readonly blockTypes = ['function'] as const;
  private readonly codeKeys = new Map<string, string>();

  constructor(private readonly pool: SandboxPool) {}

  async execute({ block, inputs, signal, organizationId }: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    const config = block.config;
    if (functionLanguage(config) !== 'javascript') {
      throw new BlockExecutionError(
        `Function block \`${block.id}\` is written in ${String(config.language)}; this Verdict server runs JavaScript function blocks only (set language: "javascript").`,
        'block_execution_failed',
        { language: config.language },
      );
    }
    const code = typeof config.code === 'string' ? config.code : '';
    const timeoutSeconds = typeof config.timeout_seconds === 'number' ? config.timeout_seconds : DEFAULT_FUNCTION_TIMEOUT_SECONDS;
    const outcome = await this.pool.run({
      codeKey: this.codeKeyOf(code),
      code,
      inputIn: { json: inputs.sourceJson, path: INPUT_IN_SOURCE },
      timeoutMs: timeoutSeconds * 1000,
      signal,
      tenant: organizationId,
    });
    if (!outcome.ok) {
      if (outcome.reason === 'aborted') throw abortError(signal);
      throw new BlockExecutionError(outcome.message, 'block_execution_failed', { reason: outcome.reason, ...(outcome.details ?? {}) });
    }
    this.checkOutputSchema(block.id, config.output_schema, outcome.output);
    return { outputs: { 'output-json-0': outcome.output }, routingDecision: null, warnings: [], details: { duration_ms: outcome.durationMs } };
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

  private checkOutputSchema(blockId: string, schema: unknown, output: unknown): void {
    if (schema === undefined || schema === null) return;
    const compiled = compileJsonSchema(schema);
    if (!compiled.ok) throw new BlockExecutionError(`The output_schema of block \`${blockId}\` is not a valid JSON Schema: ${compiled.message}`, 'block_execution_failed');
    const errors = compiled.validate(output);
    if (errors.length > 0) {
      throw new BlockExecutionError(
        `transform() returned a value that does not match output_schema: ${errors.slice(0, 3).map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}`,
        'block_execution_failed',
        { validation_errors: errors },
      );
    }
  }
}
