import { deriveHandles, routeHandleKey, type BlockConfig } from '@verdict/core';
import { reconcile } from '../../model/index.js';
import {
  asBlockFailure,
  callDetails,
  consensusCount,
  documentParts,
  filePayload,
  instructionsOf,
  readDocumentInput,
  requireModels,
  sampleAnswers,
  type DocumentInput,
  type ModelBlockDeps,
} from './model-support.js';
import { BlockExecutionError, type BlockExecutionOutput, type BlockExecutionRequest, type BlockExecutor, type BlockUnderTest } from './types.js';

interface Subdocument {
  name: string;
  description: string;
  handleKey: string;
  allowMultipleInstances: boolean;
}

/** One subdocument instance: its name and its 1-based pages, ascending. */
interface SplitEntry {
  name: string;
  pages: number[];
}

function subdocumentsOf(block: BlockUnderTest): Subdocument[] {
  const list = Array.isArray(block.config.subdocuments) ? block.config.subdocuments : [];
  const subdocuments = list
    .filter((entry): entry is Record<string, unknown> & { name: string } => typeof entry?.name === 'string' && entry.name.trim() !== '')
    .map((entry) => ({
      name: entry.name,
      description: typeof entry.description === 'string' ? entry.description : '',
      handleKey: routeHandleKey({ name: entry.name, handle_key: entry.handle_key }),
      allowMultipleInstances: entry.allow_multiple_instances === true,
    }));
  if (subdocuments.length === 0) {
    throw new BlockExecutionError(`Split \`${block.id}\` has no subdocuments; list them in config.subdocuments as {name, description}.`, 'block_execution_failed');
  }
  return subdocuments;
}

/** Pages are named by their number in the file: 1 to the count, or the numbers of the subset the input carries. */
function splitSchema(subdocuments: Subdocument[], input: DocumentInput): object {
  const page = input.subset === null ? { type: 'integer', minimum: 1, maximum: input.pages.length } : { type: 'integer', enum: input.subset };
  const entry = {
    type: 'object',
    properties: { name: { type: 'string', enum: subdocuments.map((s) => s.name) }, pages: { type: 'array', items: page, minItems: 1 } },
    required: ['name', 'pages'],
  };
  return { type: 'object', properties: { splits: { type: 'array', items: entry } }, required: ['splits'] };
}

function systemPrompt(subdocuments: Subdocument[], input: DocumentInput, config: BlockConfig): string {
  const list = subdocuments
    .map((s) => `- ${s.name}${s.description ? `: ${s.description}` : ''} (${s.allowMultipleInstances ? 'may occur several times' : 'occurs at most once'})`)
    .join('\n');
  const instructions = instructionsOf(config);
  return (
    `You split a document of ${input.pages.length} pages into subdocuments of these kinds:\n${list}\n\n` +
    `Answer with the list of subdocuments you find, each with its kind name exactly as listed and its page numbers (${input.subset === null ? '1-based' : `as marked: ${input.subset.join(', ')}`}). ` +
    'Leave out kinds that are not in the document; a kind that occurs several times gets one entry per occurrence.' +
    (instructions === null ? '' : `\n\nInstructions:\n${instructions}`)
  );
}

const ascendingUnique = (pages: number[]) => [...new Set(pages)].sort((a, b) => a - b);

/**
 * The model's splits in a stable form: pages ascending and unique, entries of a kind that occurs
 * at most once merged, entries ordered by their first page.
 */
function normalizeSplits(entries: SplitEntry[], subdocuments: Subdocument[]): SplitEntry[] {
  const single = new Map<string, SplitEntry>();
  const result: SplitEntry[] = [];
  for (const entry of entries) {
    const kind = subdocuments.find((s) => s.name === entry.name);
    if (kind === undefined) continue;
    const merged = kind.allowMultipleInstances ? undefined : single.get(entry.name);
    if (merged !== undefined) merged.pages.push(...entry.pages);
    else {
      const copy = { name: entry.name, pages: [...entry.pages] };
      if (!kind.allowMultipleInstances) single.set(entry.name, copy);
      result.push(copy);
    }
  }
  return result.map((entry) => ({ name: entry.name, pages: ascendingUnique(entry.pages) })).sort((a, b) => a.pages[0] - b.pages[0]);
}

/**
 * `split` blocks: the model assigns the document's pages to subdocuments. `output-json-splits`
 * holds `{splits: [{name, pages}]}`; each subdocument that received pages gets the document on
 * its `output-file-<handle_key>` handle with those pages listed, and is in the routing decision.
 */
export class SplitBlockExecutor implements BlockExecutor {
  readonly blockTypes = ['split'] as const;

  constructor(private readonly deps: ModelBlockDeps) {}

  async execute({ block, inputs, signal, organizationId }: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    const models = requireModels(this.deps, block);
    const subdocuments = subdocumentsOf(block);
    return asBlockFailure(signal, async () => {
      const model = models.chatModel(block.config.model);
      const [inputHandle] = deriveHandles('split', block.config).inputs;
      const input = await readDocumentInput(await inputs.resolve(), inputHandle.id);
      const request = {
        model,
        messages: [
          { role: 'system' as const, content: systemPrompt(subdocuments, input, block.config) },
          { role: 'user' as const, content: documentParts('Document to split', input) },
        ],
        jsonSchema: splitSchema(subdocuments, input),
        schemaName: 'split',
        signal,
        organizationId,
      };
      const n = consensusCount(block.config);
      const results = await sampleAnswers(models, request, n);
      const samples = results.map((result) => normalizeSplits((result.value as { splits: SplitEntry[] }).splits, subdocuments));
      const consensus = n > 1 ? reconcile(samples) : null;
      const splits = (consensus?.value ?? samples[0]) as SplitEntry[];

      const outputs: Record<string, unknown> = { 'output-json-splits': { splits } };
      const routingDecision: string[] = [];
      for (const subdocument of subdocuments) {
        const pages = ascendingUnique(splits.filter((entry) => entry.name === subdocument.name).flatMap((entry) => entry.pages));
        if (pages.length === 0) continue;
        const handleId = `output-file-${subdocument.handleKey}`;
        outputs[handleId] = filePayload(input.document, { pages });
        routingDecision.push(handleId);
      }
      return {
        outputs,
        routingDecision,
        warnings: [],
        details: { ...callDetails(model, results), page_count: input.pages.length, n_consensus: n, ...(consensus ? { likelihoods: consensus.likelihoods, votes: samples } : {}) },
      };
    });
  }
}
