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

interface Category {
  name: string;
  description: string;
  handleKey: string;
}

interface Classification {
  reasoning: string;
  category: string;
}

function categoriesOf(block: BlockUnderTest): Category[] {
  const list = Array.isArray(block.config.categories) ? block.config.categories : [];
  const categories = list
    .filter((entry): entry is Record<string, unknown> & { name: string } => typeof entry?.name === 'string' && entry.name.trim() !== '')
    .map((entry) => ({
      name: entry.name,
      description: typeof entry.description === 'string' ? entry.description : '',
      handleKey: routeHandleKey({ name: entry.name, handle_key: entry.handle_key }),
    }));
  if (categories.length === 0) {
    throw new BlockExecutionError(`Classifier \`${block.id}\` has no categories; list them in config.categories as {name, description}.`, 'block_execution_failed');
  }
  return categories;
}

function classificationSchema(categories: Category[]): object {
  return {
    type: 'object',
    properties: { reasoning: { type: 'string' }, category: { type: 'string', enum: categories.map((c) => c.name) } },
    required: ['reasoning', 'category'],
  };
}

function systemPrompt(categories: Category[], config: BlockConfig): string {
  const list = categories.map((c) => `- ${c.name}${c.description ? `: ${c.description}` : ''}`).join('\n');
  const instructions = instructionsOf(config);
  return (
    'You classify a document into exactly one of these categories:\n' +
    `${list}\n\n` +
    'Explain your reasoning briefly first, then give the category name exactly as listed.' +
    (instructions === null ? '' : `\n\nInstructions:\n${instructions}`)
  );
}

/** Classifier's `first_n_pages`: only the first pages are shown to the model. */
function firstPages(input: DocumentInput, config: BlockConfig): DocumentInput {
  const limit = config.first_n_pages;
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 ? { ...input, pages: input.pages.slice(0, limit) } : input;
}

/**
 * `classifier` blocks: the model picks one category; the document goes out on that category's
 * `output-file-<handle_key>` handle, which is the routing decision. The reasoning is in details.
 */
export class ClassifierBlockExecutor implements BlockExecutor {
  readonly blockTypes = ['classifier'] as const;

  constructor(private readonly deps: ModelBlockDeps) {}

  async execute({ block, inputs, signal, organizationId }: BlockExecutionRequest): Promise<BlockExecutionOutput> {
    const models = requireModels(this.deps, block);
    const categories = categoriesOf(block);
    return asBlockFailure(signal, async () => {
      const model = models.chatModel(block.config.model);
      const [inputHandle] = deriveHandles('classifier', block.config).inputs;
      const input = firstPages(await readDocumentInput(await inputs.resolve(), inputHandle.id), block.config);
      const request = {
        model,
        messages: [
          { role: 'system' as const, content: systemPrompt(categories, block.config) },
          { role: 'user' as const, content: documentParts('Document to classify', input) },
        ],
        jsonSchema: classificationSchema(categories),
        schemaName: 'classification',
        signal,
        organizationId,
      };
      const n = consensusCount(block.config);
      const results = await sampleAnswers(models, request, n);
      const answers = results.map((result) => result.value as Classification);
      const { value: category } = reconcile(answers.map((answer) => answer.category));
      const chosen = categories.find((c) => c.name === category)!;
      const handleId = `output-file-${chosen.handleKey}`;
      return {
        outputs: { [handleId]: filePayload(input.document, input.subset ? { pages: input.subset } : {}) },
        routingDecision: [handleId],
        warnings: [],
        details: {
          ...callDetails(model, results),
          category: chosen.name,
          reasoning: answers.find((answer) => answer.category === chosen.name)!.reasoning,
          n_consensus: n,
          ...(n > 1 ? { likelihoods: categoryShares(categories, answers), votes: answers.map((answer) => answer.category) } : {}),
        },
      };
    });
  }
}

function categoryShares(categories: Category[], answers: Classification[]): Record<string, number> {
  return Object.fromEntries(categories.map((c) => [c.name, answers.filter((answer) => answer.category === c.name).length / answers.length]));
}
