import { evaluateConditional, parseConditionalConfig } from '@verdict/core';
import { BlockExecutionError } from '../blocks/types.js';
import type { ControlBlockRunner } from './engine.js';
import type { HandlePayload } from './payloads.js';

/**
 * conditional: the input goes out unchanged on the handle of the first branch whose condition
 * holds (else on the else handle); the other branches receive nothing, so the blocks below them
 * are skipped. The evaluation is the step's artifact.
 */
export const runConditional: ControlBlockRunner = async (block, inputs) => {
  const parsed = parseConditionalConfig(block.config);
  if (!parsed.ok) throw new BlockExecutionError(`The conditions of block \`${block.id}\` are not valid: ${parsed.message}`, 'block_execution_failed');
  const input = inputs['input-json-0'];
  const data = input?.type === 'json' ? input.data : null;
  const outcome = evaluateConditional(parsed.config, data);
  if (!outcome.ok) throw new BlockExecutionError(outcome.message, 'block_execution_failed');
  const { decision } = outcome;
  const payload: HandlePayload = { type: 'json', data };
  return {
    outputs: Object.fromEntries(decision.selectedHandles.map((handleId) => [handleId, payload])),
    artifact: {
      operation: 'conditional_evaluation',
      body: {
        evaluations: decision.evaluations,
        selected_handles: decision.selectedHandles,
        matched_branch_id: decision.matchedBranchId,
        matched_condition_ids: decision.matchedConditionIds,
      },
    },
    model: null,
  };
};
