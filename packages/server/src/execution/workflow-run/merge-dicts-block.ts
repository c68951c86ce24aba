import { mergeDicts } from '@verdict/core';
import type { ControlBlockRunner } from './engine.js';

/** merge_dicts: one object mapping each configured input name to the JSON that arrived on it (null for none). */
export const runMergeDicts: ControlBlockRunner = async (block, inputs) => {
  const received = Object.fromEntries(Object.entries(inputs).map(([handleId, payload]) => [handleId, payload.type === 'json' ? payload.data : payload.document]));
  return { outputs: { 'output-json-0': { type: 'json', data: mergeDicts(block.config, received) } }, artifact: null, model: null };
};
