import type { BlockConfig, Usage } from '@verdict/core';
import type { SnapshotBlock } from '../../store/versions.js';
import type { BlockExecutionOutput } from '../blocks/types.js';
import type { HandlePayload } from './payloads.js';

/** An artifact as the engine records it: the store adds its id, run, step and time. */
export interface StepArtifact {
  operation: string;
  body: Record<string, unknown>;
}

type RawOutputs = Record<string, unknown>;

/** The document a model-backed block read: the first file among its inputs. */
function fileRead(inputs: Record<string, HandlePayload>) {
  const file = Object.values(inputs).find((payload) => payload.type === 'file');
  return file?.type === 'file' ? { id: file.document.id, filename: file.document.filename, mime_type: file.document.mime_type } : { id: '', filename: '', mime_type: '' };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The call's tokens (callDetails) as Retab's usage: Verdict bills no credits. */
function usageOf(tokens: unknown): Usage | null {
  if (typeof tokens !== 'object' || tokens === null) return null;
  const { prompt_tokens, completion_tokens, total_tokens } = tokens as Record<string, unknown>;
  if (typeof prompt_tokens !== 'number' || typeof completion_tokens !== 'number' || typeof total_tokens !== 'number') return null;
  return { credits: 0, prompt_tokens, completion_tokens, total_tokens };
}

function modelFields(config: BlockConfig, inputs: Record<string, HandlePayload>, details: Record<string, unknown>) {
  return {
    file: fileRead(inputs),
    model: text(details.model) ?? '',
    n_consensus: typeof details.n_consensus === 'number' ? details.n_consensus : 1,
    instructions: text(config.instructions),
    status: 'completed',
    error: null,
    consensus: details.likelihoods === undefined ? null : { likelihoods: details.likelihoods },
    usage: usageOf(details.usage),
  };
}

function namedEntries(config: BlockConfig, key: string): Record<string, unknown>[] {
  const entries = config[key];
  return Array.isArray(entries) ? entries.filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null) : [];
}

/**
 * The artifact of an executor-backed block's step, shaped as Retab's artifact of its operation
 * (retab-workflow-model §7.5); null for a block that writes none.
 */
export function artifactOfBlockStep(block: SnapshotBlock, inputs: Record<string, HandlePayload>, raw: RawOutputs, execution: BlockExecutionOutput, durationMs: number): StepArtifact | null {
  const config = block.config ?? {};
  const details = execution.details ?? {};
  switch (block.type) {
    case 'function':
      return {
        operation: 'function_invocation',
        body: { inputs: Object.fromEntries(Object.entries(inputs).map(([handleId, payload]) => [handleId, payload.type === 'json' ? payload.data : payload.document])), output: raw['output-json-0'] ?? null, duration_ms: durationMs, error: null },
      };
    case 'extract':
      return {
        operation: 'extraction',
        body: { ...modelFields(config, inputs, details), json_schema: (config.json_schema as Record<string, unknown>) ?? {}, output: (raw['output-json-0'] as Record<string, unknown>) ?? {}, metadata: null, image_resolution_dpi: null },
      };
    case 'classifier':
      return {
        operation: 'classification',
        body: {
          ...modelFields(config, inputs, details),
          categories: namedEntries(config, 'categories').map((category) => ({ name: String(category.name ?? ''), description: String(category.description ?? ''), handle_key: text(category.handle_key) })),
          output: { reasoning: text(details.reasoning) ?? '', category: text(details.category) ?? '' },
        },
      };
    case 'split': {
      const manifest = raw['output-json-splits'] as { splits?: { name: string; pages: number[] }[] } | undefined;
      return {
        operation: 'split',
        body: {
          ...modelFields(config, inputs, details),
          subdocuments: namedEntries(config, 'subdocuments').map((entry) => ({ name: String(entry.name ?? ''), description: String(entry.description ?? ''), allow_multiple_instances: entry.allow_multiple_instances === true })),
          output: manifest?.splits ?? [],
        },
      };
    }
    default:
      return null;
  }
}
