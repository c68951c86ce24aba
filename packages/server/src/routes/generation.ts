import {
  CancelWorkflowTestRunRequest,
  CreateWorkflowTestRequest,
  CreateWorkflowTestRunRequest,
  paginated,
  UpdateWorkflowTestRequest,
  WorkflowTest,
  WorkflowTestResult,
  WorkflowTestRun,
} from '@verdict/core';
import type { z } from 'zod';

/**
 * One of the two names Retab's API has had for tests: `tests` (SDKs up to 2026-06-18) and `evals`
 * (from 2026-06-19). The route plugins are registered once per generation: the paths, the name of
 * the id parameter and the names under which /openapi.json documents the schemas differ; the objects,
 * the store and the response shapes (each carries the keys both generations' SDKs require) do not.
 */
export interface ApiGeneration {
  /** The path segment below /v1/workflows. */
  segment: 'tests' | 'evals';
  /** The path parameter that names one test. */
  idParam: 'test_id' | 'eval_id';
  schemas: {
    test: typeof WorkflowTest;
    testList: ReturnType<typeof paginated<typeof WorkflowTest>>;
    createTest: typeof CreateWorkflowTestRequest;
    updateTest: typeof UpdateWorkflowTestRequest;
    run: typeof WorkflowTestRun;
    runList: ReturnType<typeof paginated<typeof WorkflowTestRun>>;
    createRun: typeof CreateWorkflowTestRunRequest;
    cancelRun: typeof CancelWorkflowTestRunRequest;
    result: typeof WorkflowTestResult;
    resultList: ReturnType<typeof paginated<typeof WorkflowTestResult>>;
  };
}

/** The same schema documented under another name: encoding, and so every response, is unchanged. */
function named<T extends z.ZodType>(schema: T, id: string): T {
  return schema.meta({ id }) as T;
}

export const TESTS_GENERATION: ApiGeneration = {
  segment: 'tests',
  idParam: 'test_id',
  schemas: {
    test: WorkflowTest,
    testList: paginated(WorkflowTest, 'WorkflowTestList'),
    createTest: CreateWorkflowTestRequest,
    updateTest: UpdateWorkflowTestRequest,
    run: WorkflowTestRun,
    runList: paginated(WorkflowTestRun, 'WorkflowTestRunList'),
    createRun: CreateWorkflowTestRunRequest,
    cancelRun: CancelWorkflowTestRunRequest,
    result: WorkflowTestResult,
    resultList: paginated(WorkflowTestResult, 'WorkflowTestResultList'),
  },
};

const WorkflowEval = named(WorkflowTest, 'WorkflowEval');
const WorkflowEvalRun = named(WorkflowTestRun, 'WorkflowEvalRun');
const WorkflowEvalResult = named(WorkflowTestResult, 'WorkflowEvalResult');

export const EVALS_GENERATION: ApiGeneration = {
  segment: 'evals',
  idParam: 'eval_id',
  schemas: {
    test: WorkflowEval,
    testList: paginated(WorkflowEval, 'WorkflowEvalList'),
    createTest: named(CreateWorkflowTestRequest, 'CreateWorkflowEvalRequest'),
    updateTest: named(UpdateWorkflowTestRequest, 'UpdateWorkflowEvalRequest'),
    run: WorkflowEvalRun,
    runList: paginated(WorkflowEvalRun, 'WorkflowEvalRunList'),
    createRun: named(CreateWorkflowTestRunRequest, 'CreateWorkflowEvalRunRequest'),
    cancelRun: named(CancelWorkflowTestRunRequest, 'CancelWorkflowEvalRunRequest'),
    result: WorkflowEvalResult,
    resultList: paginated(WorkflowEvalResult, 'WorkflowEvalResultList'),
  },
};

export const API_GENERATIONS = [TESTS_GENERATION, EVALS_GENERATION] as const;

export interface GenerationOptions {
  generation: ApiGeneration;
}
