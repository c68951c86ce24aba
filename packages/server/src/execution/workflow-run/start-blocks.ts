import type { ControlBlockRunner } from './engine.js';

/** start_json: emits the run's `json_inputs[block_id]` (creation checked it was given). */
export const runStartJson: ControlBlockRunner = async (block, _inputs, run) => ({
  outputs: { 'output-json-0': { type: 'json', data: run.inputs.json_data[block.id] ?? null } },
  artifact: null,
  model: null,
});

/** start_document: emits the document the run was given for it, stored in the caller's file store at creation. */
export const runStartDocument: ControlBlockRunner = async (block, _inputs, run) => {
  const document = run.inputs.documents[block.id]!;
  return { outputs: { 'output-file-0': { type: 'file', document } }, artifact: null, model: null };
};
