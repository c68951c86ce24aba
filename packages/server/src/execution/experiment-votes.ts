import type { ExperimentBlockType } from '@verdict/core';
import { BlockExecutionError } from './blocks/types.js';

/**
 * Each voter's answer from a model block's execution (its `details.votes`, which the extract,
 * classifier and split executors report when they sample more than once), in the form the
 * metrics read: the extracted JSON, the category, the list of splits.
 */
export function experimentVotes(blockType: ExperimentBlockType, outputs: Record<string, unknown>, details: Record<string, unknown>): unknown[] {
  if (Array.isArray(details.votes)) return details.votes;
  // One voter: its answer is the output.
  switch (blockType) {
    case 'classifier':
      return [details.category ?? null];
    case 'split':
      return [(outputs['output-json-splits'] as { splits?: unknown } | undefined)?.splits ?? []];
    case 'extract':
      return [outputs['output-json-0'] ?? null];
    default:
      throw new BlockExecutionError(`A ${blockType} block reports no votes.`, 'block_execution_failed');
  }
}
