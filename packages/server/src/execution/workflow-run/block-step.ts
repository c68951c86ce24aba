import { typedHandleOutputs } from '@verdict/core';
import type { FileDocument, FileService } from '../../files/index.js';
import { JsonText } from '../../store/transitions/index.js';
import type { SnapshotBlock } from '../../store/versions.js';
import type { BlockExecutor } from '../blocks/types.js';
import { artifactOfBlockStep, type StepArtifact } from './artifacts.js';
import { manualSourceJson, resolvePayloads, type HandlePayload } from './payloads.js';

/** What one executed block produced: its output payloads (the handles it routed to only) and its artifact. */
export interface BlockStepOutput {
  outputs: Record<string, HandlePayload>;
  artifact: StepArtifact | null;
  model: string | null;
}

export interface BlockStepContext {
  organizationId: string;
  inputSchema: Record<string, unknown> | null;
  signal: AbortSignal;
  files: FileService;
}

/**
 * Runs one block on the executor that test runs use (execution/blocks): the step's inputs are
 * handed over as a manual test source would give them, so a block behaves the same in a run and
 * in a test of a step captured from that run.
 */
export async function executeBlockStep(executor: BlockExecutor, block: SnapshotBlock, inputs: Record<string, HandlePayload>, context: BlockStepContext): Promise<BlockStepOutput> {
  const { organizationId, signal, files } = context;
  const resolveFile = (document: FileDocument) => files.resolve(organizationId, document, signal);
  const started = performance.now();
  const execution = await executor.execute({
    block: { id: block.id, type: block.type, label: block.label, config: block.config ?? {}, inputSchema: context.inputSchema },
    inputs: { sourceJson: manualSourceJson(inputs), resolve: () => resolvePayloads(inputs, resolveFile) },
    assertionJson: null,
    signal,
    organizationId,
  });
  const raw = (execution.outputs instanceof JsonText ? execution.outputs.value() : execution.outputs) as Record<string, unknown>;
  const routed = execution.routingDecision ? new Set(execution.routingDecision) : null;
  // A router's JSON manifest (split's `output-json-splits`) always flows; of its file handles only the chosen ones.
  const delivered = Object.fromEntries(Object.entries(raw).filter(([handleId]) => !routed || routed.has(handleId) || !handleId.startsWith('output-file-')));
  const outputs = typedHandleOutputs(delivered)!;
  const details = execution.details ?? {};
  const artifact = artifactOfBlockStep(block, inputs, raw, execution, ownDurationMs(started, execution.executionMs));
  return { outputs, artifact, model: typeof details.model === 'string' ? details.model : null };
}

/**
 * The block's own time, as a test result records it: what its executor measured where it ran (a
 * sandbox thread), else the wall time here. The wall time also holds the wait for a free sandbox
 * thread, which under load was most of it (a function_invocation of 0.1 ms recorded ~290 ms while
 * 1,000 runs shared the threads: bench/workflow-runs).
 */
function ownDurationMs(started: number, reportedMs: number | undefined): number {
  const elapsed = performance.now() - started;
  return Math.round(Math.min(elapsed, reportedMs ?? elapsed));
}
