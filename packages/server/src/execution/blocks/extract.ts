import { compileJsonSchema, deriveHandles, type BlockConfig } from '@verdict/core';
import { reconcile, type ChatContentPart, type ChatJsonResult } from '../../model/index.js';
import {
  asBlockFailure,
  callDetails,
  consensusCount,
  documentParts,
  instructionsOf,
  readDocumentInput,
  requireModels,
  sampleAnswers,
  type ModelBlockDeps,
} from './model-support.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutionRequest, type BlockExecutor, type BlockUnderTest, type ResolvedHandleInput } from './types.js';

const ANY_OBJECT = { type: 'object' };

const SYSTEM_PROMPT =
  'You extract structured data from documents. Read every input below and answer with one JSON object that matches the JSON schema. ' +
  'Take values from the inputs only; where the inputs do not give a value, use null if the schema allows it.';

function jsonSchemaOf(block: BlockUnderTest): object {
  const schema = block.config.json_schema ?? ANY_OBJECT;
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) throw new BlockExecutionError(`The json_schema of block \`${block.id}\` is not usable: ${compiled.message}`, 'schema_invalid');
  return schema as object;
}

/** `input-json-<name>` inputs become text; `input-file-<name>` inputs become document pages. */
async function inputParts(config: BlockConfig, handleInputs: Record<string, ResolvedHandleInput>): Promise<ChatContentPart[]> {
  const parts: ChatContentPart[] = [];
  for (const handle of deriveHandles('extract', config).inputs) {
    const name = handle.id.slice(`input-${handle.kind}-`.length);
    if (handle.kind === 'file') {
      parts.push(...documentParts(`Input "${name}"`, await readDocumentInput(handleInputs, handle.id)));
      continue;
    }
    const input = handleInputs[handle.id];
    if (input?.type !== 'json') {
      throw new BlockExecutionError(`This block reads JSON on \`${handle.id}\`, and the test does not give it; add a JSON input for \`${handle.id}\`.`, 'missing_input', {
        handle_id: handle.id,
      });
    }
    parts.push({ type: 'text', text: `Input "${name}" (JSON):\n${JSON.stringify(input.data, null, 2)}` });
  }
  return parts;
}

/**
 * With several samples, the per-field majority; a majority assembled from different samples can
 * miss the schema (e.g. across `oneOf` branches), and then the first sample stands.
 */
function reconciled(results: ChatJsonResult[], schema: object): { value: unknown; extra: Record<string, unknown>; warnings: string[] } {
  if (results.length === 1) return { value: results[0].value, extra: {}, warnings: [] };
  const votes = results.map((result) => result.value);
  const consensus = reconcile(votes);
  const compiled = compileJsonSchema(schema);
  if (compiled.ok && compiled.validate(consensus.value).length > 0) {
    return {
      value: results[0].value,
      extra: { likelihoods: consensus.likelihoods, votes },
      warnings: ['The field-by-field majority of the consensus samples does not match json_schema; the first sample is the output.'],
    };
  }
  return { value: consensus.value, extra: { likelihoods: consensus.likelihoods, votes }, warnings: [] };
}

/** `extract` blocks: the model reads the inputs and answers JSON matching `json_schema` on `output-json-0`. */
export class ExtractBlockExecutor implements BlockExecutor {
  readonly blockTypes = ['extract'] as const;

  constructor(private readonly deps: ModelBlockDeps) {}

  async execute({ block, inputs, signal, organizationId }: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    const models = requireModels(this.deps, block);
    const schema = jsonSchemaOf(block);
    return asBlockFailure(signal, async () => {
      const model = models.chatModel(block.config.model);
      const instructions = instructionsOf(block.config);
      const request = {
        model,
        messages: [
          { role: 'system' as const, content: instructions === null ? SYSTEM_PROMPT : `${SYSTEM_PROMPT}\n\nInstructions:\n${instructions}` },
          { role: 'user' as const, content: await inputParts(block.config, await inputs.resolve()) },
        ],
        jsonSchema: schema,
        schemaName: 'extraction',
        signal,
        organizationId,
      };
      const n = consensusCount(block.config);
      const results = await sampleAnswers(models, request, n);
      const { value, extra, warnings } = reconciled(results, schema);
      return {
        outputs: { 'output-json-0': value },
        routingDecision: null,
        warnings,
        details: { ...callDetails(model, results), n_consensus: n, ...extra },
      };
    });
  }
}
