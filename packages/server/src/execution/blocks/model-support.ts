import type { BlockConfig, MaterializedDocument } from '@verdict/core';
import { documentToPages, FileInputError, type DocumentPage } from '../../files/index.js';
import { addTokenUsage, ModelError, NO_TOKENS, type ChatContentPart, type ChatJsonRequest, type ChatJsonResult, type ModelClient } from '../../model/index.js';
import { BlockExecutionError, type BlockUnderTest, type ResolvedHandleInput } from './types.js';

/** What extract, classifier and split blocks share: the model client, absent when no provider is configured. */
export interface ModelBlockDeps {
  models: ModelClient | null;
}

export function requireModels(deps: ModelBlockDeps, block: BlockUnderTest): ModelClient {
  if (deps.models === null) {
    throw new BlockExecutionError(
      `Block \`${block.id}\` is a ${block.type} block and needs a model server; set VERDICT_MODEL_BASE_URL (and VERDICT_MODEL) on this server.`,
      'provider_not_configured',
    );
  }
  return deps.models;
}

/**
 * Runs a block body, turning model and file failures into BlockExecutionError with their code.
 * A cancelled run is not a block failure: with the signal aborted, the error passes through.
 */
export async function asBlockFailure<T>(signal: AbortSignal, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof ModelError || error instanceof FileInputError) throw BlockExecutionError.causedBy(error);
    throw error;
  }
}

export interface DocumentInput {
  handleId: string;
  document: MaterializedDocument;
  /** The pages the block reads: the handle's page subset (a split's subdocument) or the whole document. */
  pages: DocumentPage[];
  /** The handle's page subset, which a block that routes the document on (classifier) keeps; null: the whole document. */
  subset: number[] | null;
}

/** The pages of the file on `handleId`; a missing or non-file input is a block failure naming the handle. */
export async function readDocumentInput(handleInputs: Record<string, ResolvedHandleInput>, handleId: string): Promise<DocumentInput> {
  const input = handleInputs[handleId];
  if (input?.type !== 'file') {
    const got = input === undefined ? 'nothing' : 'JSON';
    throw new BlockExecutionError(`This block reads a file on \`${handleId}\`, and the test gives it ${got}; add a file input for \`${handleId}\`.`, 'missing_input', {
      handle_id: handleId,
    });
  }
  const { pages } = await documentToPages(input.document, await input.read());
  if (input.pages === undefined) return { handleId, document: input.document, pages, subset: null };
  const beyond = input.pages.filter((page) => page > pages.length);
  if (beyond.length > 0) {
    throw new BlockExecutionError(
      `The file on \`${handleId}\` has ${pages.length} page${pages.length === 1 ? '' : 's'}, and its input names page ${beyond[0]}; name pages 1 to ${pages.length}.`,
      'missing_input',
      { handle_id: handleId, page_count: pages.length, pages: input.pages },
    );
  }
  const wanted = new Set(input.pages);
  return { handleId, document: input.document, pages: pages.filter((page) => wanted.has(page.index)), subset: input.pages };
}

/** A document as chat content: a heading, then each page's text or image, marked with its page number. */
export function documentParts(title: string, { document, pages, subset }: DocumentInput): ChatContentPart[] {
  const count = `${pages.length} page${pages.length === 1 ? '' : 's'}`;
  const heading = `${title}: file "${document.filename}" (${document.mime_type}), ${subset === null ? count : `${count} of it (pages ${subset.join(', ')})`}.`;
  const parts: ChatContentPart[] = [{ type: 'text', text: heading }];
  for (const page of pages) {
    if (page.imageDataUrl !== undefined) {
      parts.push({ type: 'text', text: `--- Page ${page.index} (image) ---` });
      parts.push({ type: 'image_url', image_url: { url: page.imageDataUrl } });
    } else {
      parts.push({ type: 'text', text: `--- Page ${page.index} ---\n${page.text ?? ''}` });
    }
  }
  return parts;
}

/** The file payload a routing block emits on an output handle (a FileRef, tagged like a handle payload). */
export function filePayload(document: MaterializedDocument, extra: Record<string, unknown> = {}) {
  return { type: 'file', id: document.original_id, filename: document.filename, mime_type: document.mime_type, ...extra };
}

export function consensusCount(config: BlockConfig): number {
  const n = config.n_consensus;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? Math.min(n, 10) : 1;
}

/**
 * Asks the same question `n` times, concurrently (the client's limit applies). One sample is
 * answered at temperature 0; several at temperature 1, so that their agreement means something.
 * The first failure cancels the other samples.
 */
export async function sampleAnswers(models: ModelClient, request: ChatJsonRequest, n: number): Promise<ChatJsonResult[]> {
  if (n === 1) return [await models.chatJson({ ...request, temperature: 0 })];
  // One listener on the run's signal, removed when the samples are done: AbortSignal.any keeps
  // every test's combined signal registered on the long-lived run signal until a GC, and cost
  // ~100 µs per test (more than replaying the samples from the cache).
  const siblings = new AbortController();
  const stopWithRun = () => siblings.abort(request.signal.reason);
  if (request.signal.aborted) stopWithRun();
  else request.signal.addEventListener('abort', stopWithRun, { once: true });
  try {
    return await Promise.all(
      Array.from({ length: n }, (_, sample) =>
        models.chatJson({ ...request, temperature: 1, sample, signal: siblings.signal }).catch((error: unknown) => {
          siblings.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    request.signal.removeEventListener('abort', stopWithRun);
  }
}

/**
 * What every model block reports in its details: which model, how many HTTP requests, how many
 * cache hits, and the tokens the provider reported, summed over consensus samples and repair turns.
 */
export function callDetails(model: string, results: ChatJsonResult[]): Record<string, unknown> {
  return {
    model,
    model_calls: results.reduce((sum, result) => sum + result.attempts, 0),
    cache_hits: results.filter((result) => result.cached).length,
    usage: results.reduce((sum, result) => addTokenUsage(sum, result.usage), NO_TOKENS),
  };
}

export function instructionsOf(config: BlockConfig): string | null {
  return typeof config.instructions === 'string' && config.instructions.trim() !== '' ? config.instructions.trim() : null;
}
