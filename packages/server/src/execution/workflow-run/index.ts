import type { FileService } from '../../files/index.js';
import type { Store } from '../../store/database.js';
import type { BlockExecutor } from '../blocks/types.js';
import { runConditional } from './conditional-block.js';
import { WorkflowRunEngine, type ControlBlockRunner } from './engine.js';
import { runMergeDicts } from './merge-dicts-block.js';
import { runStartDocument, runStartJson } from './start-blocks.js';

export { MAX_RUN_ATTEMPTS, planOfSnapshot, WorkflowRunEngine, type WorkflowRunDispatch } from './engine.js';

/** Blocks of one run that execute at once (independent branches and loop iterations). */
const CONCURRENCY_PER_RUN = 8;

/** The engine with every block type it runs: the executors of test runs, and the blocks that only move data. */
export function createWorkflowRunEngine(store: Store, executors: BlockExecutor[], files: FileService, maxRunningRuns: number): WorkflowRunEngine {
  const controls = new Map<string, ControlBlockRunner>([
    ['start_json', runStartJson],
    ['start_document', runStartDocument],
    ['conditional', runConditional],
    ['merge_dicts', runMergeDicts],
  ]);
  return new WorkflowRunEngine(store, executors, files, controls, { concurrencyPerRun: CONCURRENCY_PER_RUN, maxRunningRuns });
}
