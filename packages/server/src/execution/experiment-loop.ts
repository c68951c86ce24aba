import { deriveHandles, parseForEachConfig, planIterations, reduceIterations, type BlockConfig, type ExperimentBlockType } from '@verdict/core';
import type { SnapshotBlock, WorkflowSnapshot } from '../store/versions.js';
import { BlockExecutionError, type BlockExecutionOutput } from './blocks/types.js';
import { experimentVotes } from './experiment-votes.js';

const MODEL_BLOCK_TYPES = new Set(['extract', 'classifier', 'split']);

/** What a for_each experiment executes for each item: the one model-backed block of the loop body, and the handle the item reaches it on. */
export interface LoopBody {
  block: SnapshotBlock;
  itemHandle: string;
}

/** A for_each block as an experiment run keeps it: with its loop body. */
export type LoopBlock = SnapshotBlock & { loop_body: LoopBody };

/**
 * The loop body a for_each experiment can run: exactly one block inside the loop, model-backed,
 * fed each item as JSON by an edge from the loop. Anything else is answered with why (a string).
 */
export function loopBodyOf(snapshot: WorkflowSnapshot, loop: SnapshotBlock): LoopBody | string {
  const parsed = parseForEachConfig(loop.config);
  if (!parsed.ok) return `The for_each block \`${loop.id}\` cannot run: ${parsed.message}`;
  const body = snapshot.blocks.filter((block) => block.parent_id === loop.id);
  if (body.length !== 1 || !MODEL_BLOCK_TYPES.has(body[0]!.type)) {
    return `An experiment on a for_each runs its loop body's model block on each item, so the body must be exactly one extract, classifier or split block; the body of \`${loop.id}\` is ${body.length === 0 ? 'empty' : body.map((block) => `${block.type} \`${block.id}\``).join(', ')}.`;
  }
  const block = body[0]!;
  const edge = snapshot.edges.find((candidate) => candidate.source_block === loop.id && candidate.target_block === block.id);
  const jsonInputs = deriveHandles(block.type, block.config).inputs.filter((handle) => handle.kind === 'json');
  const itemHandle = edge?.target_handle ?? jsonInputs[0]?.id;
  if (!edge || !itemHandle || !jsonInputs.some((handle) => handle.id === itemHandle)) {
    return `The for_each \`${loop.id}\` must feed each item to a JSON input of \`${block.id}\` (an edge from the loop to it); a ${block.type} block ${jsonInputs.length === 0 ? 'has no JSON input' : `takes items on ${jsonInputs.map((handle) => handle.id).join(', ')}`}.`;
  }
  return { block, itemHandle };
}

/** Executes the body block on one item with the run's n_consensus: its output and its voters' answers. */
export type ExecuteItem = (block: SnapshotBlock, config: BlockConfig, handleId: string, item: unknown) => Promise<BlockExecutionOutput>;

/**
 * One document of a for_each experiment: the items its JSON input holds at the loop's source path,
 * each executed by the body block with every voter. Voter k's vote for the document is the loop's
 * output as if only its answers had been given: its answer for each item, reduced as the loop
 * reduces (docs/experiments.md §3.4). The output is the reduction of each item's consensus.
 */
export async function executeLoopDocument(loop: LoopBlock, nConsensus: number, input: unknown, executeItem: ExecuteItem, signal: AbortSignal): Promise<BlockExecutionOutput> {
  const parsed = parseForEachConfig(loop.config);
  if (!parsed.ok) throw new BlockExecutionError(parsed.message, 'block_execution_failed');
  const plan = planIterations(parsed.config, input);
  if (!plan.ok) throw new BlockExecutionError(plan.message, 'block_execution_failed');
  const { block, itemHandle } = loop.loop_body;
  const bodyType = block.type as ExperimentBlockType;
  const config: BlockConfig = { ...(block.config ?? {}), n_consensus: nConsensus };
  const answers: unknown[] = [];
  const votesPerItem: unknown[][] = [];
  for (const item of plan.items) {
    signal.throwIfAborted();
    const output = await executeItem(block, config, itemHandle, item);
    const outputs = output.outputs as Record<string, unknown>;
    answers.push(experimentVotes(bodyType, outputs, {})[0]);
    votesPerItem.push(experimentVotes(bodyType, outputs, output.details ?? {}));
  }
  const votes = Array.from({ length: nConsensus }, (_, voter) => reduceIterations(parsed.config, votesPerItem.map((itemVotes) => itemVotes[voter] ?? null)));
  return {
    outputs: { 'output-json-0': reduceIterations(parsed.config, answers) },
    routingDecision: null,
    warnings: [],
    details: { votes, iteration_count: plan.items.length, body_block_id: block.id },
  };
}
