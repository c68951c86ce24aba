import { z } from 'zod';
import { VerdictSchema } from '../schemas/common.js';
import { ConditionInputSchema, ConditionSchema } from './conditions.js';

export const OutputTarget = z
  .object({
    output_handle_id: z.string().trim().min(1, 'Name the output handle to inspect, e.g. "output-json-0".'),
    path: z.string().nullable().optional(),
  })
  .meta({ id: 'OutputTarget' });
export type OutputTarget = z.infer<typeof OutputTarget>;

export const AssertionSpecInput = z
  .object({
    id: z.string().min(1).nullable().optional(),
    target: OutputTarget,
    condition: ConditionInputSchema,
    label: z.string().nullable().optional(),
  })
  .meta({ id: 'NewAssertionSpec', description: 'An assertion as sent in requests: `id` and `label` may be omitted.' });
export type AssertionSpecInput = z.infer<typeof AssertionSpecInput>;

export const AssertionSpec = z
  .object({
    id: z.string(),
    target: OutputTarget,
    condition: ConditionSchema,
    label: z.string().nullable(),
  })
  .meta({ id: 'AssertionSpec' });
export type AssertionSpec = z.infer<typeof AssertionSpec>;

export const FAILURE_CODES = [
  'path_not_found',
  'invalid_path',
  'condition_not_met',
  'type_error',
  'invalid_regex',
  'schema_invalid',
  'block_execution_failed',
  'output_handle_missing',
  'provider_not_configured',
  'provider_error',
  'execution_error',
  'block_skipped',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export const AssertionFailure = z
  .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) })
  .meta({ id: 'AssertionFailure' });
export type AssertionFailure = z.infer<typeof AssertionFailure>;

export const AssertionResult = z
  .object({
    assertion_id: z.string(),
    condition_kind: z.string(),
    outcome: VerdictSchema,
    actual_value: z.unknown(),
    expected_value: z.unknown(),
    score: z.number().nullable(),
    threshold: z.number().nullable(),
    metric_kind: z.string().nullable(),
    assertion_label: z.string().nullable(),
    failure: AssertionFailure.nullable(),
  })
  .meta({ id: 'AssertionResult' });
export type AssertionResult = z.infer<typeof AssertionResult>;
