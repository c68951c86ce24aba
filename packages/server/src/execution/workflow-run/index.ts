import { RUN_LIMITS } from '@verdict/core';
import type { FileService } from '../../files/index.js';
import type { Store } from '../../store/database.js';
import type { BlockExecutor } from '../blocks/types.js';
import { WorkflowRunEngine, type ControlBlockRunner } from './engine.js';
import { runConditional } from './conditional-block.js';
import { runStartDocument, runStartJson } from './start-blocks.js';

export { WorkflowRunEngine } from './engine.js';

/** Bounds of one run in this process (RUN_LIMITS bounds what a workflow may ask for). */
const ENGINE_OPTIONS = { maxSteps: RUN_LIMITS.maxSteps, concurrencyPerRun: 8 };

/** The engine with every block type it runs: the executors of test runs, and the blocks that only move data. */
export function createWorkflowRunEngine(store: Store, executors: BlockExecutor[], files: FileService): WorkflowRunEngine {
  const controls = new Map<string, ControlBlockRunner>([
    ['start_json', runStartJson],
    ['start_document', runStartDocument],
    ['conditional', runConditional],
  ]);
  return new WorkflowRunEngine(store, executors, files, controls, ENGINE_OPTIONS);
}
