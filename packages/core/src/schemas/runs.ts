import { z } from 'zod';
import { LIFECYCLE_STATUSES } from '../lifecycle.js';
import { Lifecycle, Timing } from './common.js';
import { ArtifactFreshness, WorkflowTestBlockTarget } from './tests.js';

export const TRIGGER_TYPES = ['manual', 'api', 'schedule', 'webhook', 'email', 'restart'] as const;

export const Trigger = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('manual'), user_id: z.string().nullable() }),
    z.object({ type: z.literal('api'), api_key_id: z.string().nullable() }),
    z.object({ type: z.literal('schedule'), schedule_id: z.string() }),
    z.object({ type: z.literal('webhook'), webhook_id: z.string().nullable() }),
    z.object({ type: z.literal('email'), sender: z.string().nullable(), subject: z.string().nullable() }),
    z.object({ type: z.literal('restart'), parent_run_id: z.string() }),
  ])
  .meta({ id: 'Trigger' });
export type Trigger = z.infer<typeof Trigger>;

export const RunCountsSchema = z
  .object({
    lifecycle_counts: z.object({
      pending: z.number().int(),
      queued: z.number().int(),
      running: z.number().int(),
      completed: z.number().int(),
      error: z.number().int(),
      cancelled: z.number().int(),
    }),
    outcome: z.object({ passed: z.number().int(), failed: z.number().int(), blocked: z.number().int() }),
  })
  .meta({ id: 'BlockTestBatchExecutionCounts' });

/** Retab's run-level envelope: the test's shape, whose three fingerprint keys are required (nullable) in both. */
export const EvalRunFreshness = ArtifactFreshness.meta({ id: 'EvalRunFreshness' });
export type EvalRunFreshness = z.infer<typeof EvalRunFreshness>;

export const WorkflowTestRun = z
  .object({
    id: z.string(),
    workflow: z.object({ workflow_id: z.string(), version_id: z.string() }),
    workflow_id: z.string(),
    workflow_version_id: z.string(),
    trigger: Trigger,
    lifecycle: Lifecycle,
    timing: Timing,
    target: WorkflowTestBlockTarget.nullable(),
    test_id: z.string().nullable(),
    eval_id: z.string().nullable().meta({ description: 'test_id under its name from 2026-06-19 (the same value).' }),
    total_tests: z.number().int(),
    total_evals: z.number().int().meta({ description: 'total_tests under its name from 2026-06-19 (the same value).' }),
    counts: RunCountsSchema,
    freshness: EvalRunFreshness,
  })
  .meta({ id: 'WorkflowTestRun' });
export type WorkflowTestRun = z.infer<typeof WorkflowTestRun>;

export const RunScope = z
  .discriminatedUnion('type', [
    z
      .object({ type: z.literal('single'), test_id: z.string().trim().min(1).optional(), eval_id: z.string().trim().min(1).optional() })
      .refine((scope) => scope.test_id !== undefined || scope.eval_id !== undefined, { message: 'A single scope names its test: give eval_id (or test_id).', path: ['eval_id'] })
      .refine((scope) => scope.test_id === undefined || scope.eval_id === undefined || scope.test_id === scope.eval_id, {
        message: 'test_id and eval_id name the same thing; give one, or the same id in both.',
        path: ['eval_id'],
      }),
    z.object({ type: z.literal('workflow') }),
    z.object({ type: z.literal('block'), block_id: z.string().trim().min(1) }),
  ])
  .meta({ id: 'WorkflowTestRunScope' });
export type RunScope = z.infer<typeof RunScope>;

/** The test a `single` scope names, under either generation's key. */
export function singleScopeTestId(scope: Extract<RunScope, { type: 'single' }>): string {
  return (scope.eval_id ?? scope.test_id)!;
}

export const CreateWorkflowTestRunRequest = z
  .object({
    workflow_id: z.string().trim().min(1),
    scope: RunScope.nullable().optional(),
    restart_of: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe("Verdict extension: re-run the tests of this finished run of the workflow, with its scope, against the current draft (trigger `restart`)."),
    only_failed: z.boolean().optional().describe('Verdict extension, with `restart_of`: only the tests that failed, were blocked or errored in that run.'),
  })
  .superRefine((request, ctx) => {
    if (request.only_failed !== undefined && request.restart_of === undefined) {
      ctx.addIssue({ code: 'custom', path: ['only_failed'], message: 'only_failed applies to a re-run: pass restart_of with the run whose failures to re-run.' });
    }
    if (request.restart_of !== undefined && request.scope) {
      ctx.addIssue({ code: 'custom', path: ['scope'], message: 'A re-run keeps the scope of the run it restarts: omit scope when passing restart_of.' });
    }
  })
  .meta({ id: 'CreateWorkflowTestRunRequest' });
export type CreateWorkflowTestRunRequest = z.infer<typeof CreateWorkflowTestRunRequest>;

export const CancelWorkflowTestRunRequest = z
  .object({ reason: z.string().max(1000).nullable().optional() })
  .meta({ id: 'CancelWorkflowTestRunRequest' });

export const RunStatusFilter = z.enum(LIFECYCLE_STATUSES);
export const RUN_SORT_KEYS = ['created_at', 'started_at', 'completed_at'] as const;
export type RunSortKey = (typeof RUN_SORT_KEYS)[number];

/** A run list's `sort_by`: one of RUN_SORT_KEYS, optionally prefixed with `timing.` as Retab's SDKs send it. */
export const RunSortBy = z
  .string()
  .transform((value) => value.replace(/^timing\./, ''))
  .pipe(z.enum(RUN_SORT_KEYS, { message: `sort_by must be one of ${RUN_SORT_KEYS.join(', ')} (optionally prefixed with "timing.")` }))
  .default('created_at');
