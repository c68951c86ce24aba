/**
 * What Retab's two SDK generations require of a response, written from reading their Python models
 * (393edb37 for `tests`, 61d9c44e for `evals`; docs/compatibility.md): each key a model declares
 * without a default must be present, with a value of its type (null only where the type allows it),
 * and a key with a default must, when present, hold its type. Unknown keys are ignored, as by the
 * SDKs (`extra="ignore"`). A checker for tests, not a copy of the SDKs.
 */
export type Shape =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'datetime'
  | 'any'
  | { nullable: Shape }
  | { object: Record<string, Shape>; optional?: Record<string, Shape> }
  | { array: Shape }
  | { record: Shape }
  | { oneOf: readonly string[] }
  | { union: Shape[] };

const nullable = (shape: Shape): Shape => ({ nullable: shape });

/** Every way `value` fails `shape`, as `path: problem` lines; empty when it validates. */
export function violations(value: unknown, shape: Shape, path = '$'): string[] {
  if (typeof shape === 'string') {
    switch (shape) {
      case 'any':
        return [];
      case 'string':
        return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
      case 'integer':
        return Number.isInteger(value) ? [] : [`${path}: expected an integer, got ${JSON.stringify(value)}`];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
      case 'datetime':
        return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? [] : [`${path}: expected a datetime, got ${JSON.stringify(value)}`];
    }
  }
  if ('nullable' in shape) return value === null ? [] : violations(value, shape.nullable, path);
  if ('oneOf' in shape) return shape.oneOf.includes(value as string) ? [] : [`${path}: expected one of ${shape.oneOf.join(', ')}, got ${JSON.stringify(value)}`];
  if ('union' in shape) {
    const attempts = shape.union.map((option) => violations(value, option, path));
    return attempts.some((problems) => problems.length === 0) ? [] : [`${path}: matches no variant (${attempts.map((problems) => problems[0]).join('; ')})`];
  }
  if ('array' in shape) return Array.isArray(value) ? value.flatMap((item, n) => violations(item, shape.array, `${path}[${n}]`)) : [`${path}: expected an array`];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object, got ${JSON.stringify(value)}`];
  const object = value as Record<string, unknown>;
  if ('record' in shape) return Object.entries(object).flatMap(([key, item]) => violations(item, shape.record, `${path}.${key}`));
  const problems: string[] = [];
  for (const [key, field] of Object.entries(shape.object)) {
    if (!(key in object)) problems.push(`${path}.${key}: required, missing`);
    else problems.push(...violations(object[key], field, `${path}.${key}`));
  }
  for (const [key, field] of Object.entries(shape.optional ?? {})) {
    if (key in object) problems.push(...violations(object[key], field, `${path}.${key}`));
  }
  return problems;
}

const STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'cancelled'] as const;
const OUTCOMES = ['passed', 'failed', 'blocked'] as const;

const blockTarget: Shape = { object: { block_id: 'string' }, optional: { type: { oneOf: ['block'] } } };
const lifecycle: Shape = { object: { status: { oneOf: STATUSES } }, optional: { message: nullable('string'), reason: nullable('string'), details: nullable({ record: 'any' }) } };
const timing: Shape = { object: {}, optional: { created_at: nullable('datetime'), started_at: nullable('datetime'), completed_at: nullable('datetime'), duration_ms: nullable('integer') } };
const counts: Shape = {
  object: {},
  optional: {
    lifecycle_counts: nullable({ object: {}, optional: Object.fromEntries(STATUSES.map((status) => [status, nullable('integer')])) }),
    outcome: nullable({ object: {}, optional: Object.fromEntries(OUTCOMES.map((outcome) => [outcome, nullable('integer')])) }),
  },
};
const assertionSpec: Shape = {
  object: { target: { object: { output_handle_id: 'string' }, optional: { path: nullable('string') } }, condition: { object: { kind: 'string' } } },
  optional: { id: nullable('string'), label: nullable('string') },
};
const jsonInput: Shape = { object: { data: 'any' }, optional: { type: { oneOf: ['json'] } } };
/** Old: MaterializedDocument; new: FileRef. */
const oldFileInput: Shape = { object: { document: { object: { original_id: 'string', filename: 'string', mime_type: 'string', gcs_uri: 'string' } } }, optional: { type: { oneOf: ['file'] } } };
const newFileInput: Shape = { object: { document: { object: { id: 'string', filename: 'string', mime_type: 'string' } } }, optional: { type: { oneOf: ['file'] } } };
const handleInputs = (file: Shape): Shape => ({ record: { union: [jsonInput, file] } });
const source = (file: Shape): Shape => ({
  union: [
    { object: { type: { oneOf: ['manual'] } }, optional: { handle_inputs: nullable(handleInputs(file)) } },
    { object: { type: { oneOf: ['run_step'] }, run_id: 'string' }, optional: { step_id: nullable('string') } },
  ],
});
const runSummary = (fingerprint: 'block_config_fingerprint' | 'block_execution_fingerprint', extra: Record<string, Shape>): Shape => ({
  object: { run_record_id: 'string', status: { oneOf: STATUSES }, started_at: 'datetime' },
  optional: {
    outcome: nullable({ oneOf: OUTCOMES }),
    completed_at: nullable('datetime'),
    duration_ms: nullable('integer'),
    workflow_draft_fingerprint: nullable('string'),
    [fingerprint]: nullable('string'),
    assertions_passed: nullable('integer'),
    assertions_failed: nullable('integer'),
    blocked_assertions: nullable('integer'),
    ...extra,
  },
});
const testCommon = {
  name: nullable('string'),
  assertion: nullable(assertionSpec),
  assertion_drift_status: nullable({ oneOf: ['valid', 'drifted', 'broken'] }),
  schema_drift: nullable({ oneOf: ['none', 'partial', 'drifted', 'unknown'] }),
  schema_drift_detail: nullable('string'),
  validation_status: nullable('string'),
  validation_issues: nullable({ array: 'any' }),
  created_at: nullable('datetime'),
  updated_at: nullable('datetime'),
} satisfies Record<string, Shape>;
const summaries = (summary: Shape) => ({ latest_run_summary: nullable(summary), latest_passing_run_summary: nullable(summary), latest_failing_run_summary: nullable(summary) });
const errorDetails: Shape = { record: 'any' };
const assertionResult: Shape = { record: 'any' };
/** Result fields both generations read alike. */
const resultCommon = {
  lifecycle: nullable(lifecycle),
  timing: nullable(timing),
  verdict: nullable({ oneOf: OUTCOMES }),
  execution_fingerprint: nullable('string'),
  handle_inputs_fingerprint: nullable('string'),
  workflow_draft_fingerprint: nullable('string'),
  warnings: nullable({ array: 'string' }),
  assertion_result: nullable(assertionResult),
} satisfies Record<string, Shape>;
const freshnessReasons = { oneOf: ['validity_changed', 'inputs_changed', 'engine_changed', 'metrics_engine_changed', 'no_baseline'] } as const;

const oldTrigger: Shape = {
  union: [
    { object: { type: { oneOf: ['manual'] } }, optional: { user_id: nullable('string') } },
    { object: { type: { oneOf: ['api'] } }, optional: { api_key_id: nullable('string') } },
    { object: { type: { oneOf: ['schedule'] }, schedule_id: 'string' } },
    { object: { type: { oneOf: ['webhook'] } }, optional: { webhook_id: nullable('string') } },
    { object: { type: { oneOf: ['email'] } }, optional: { sender: nullable('string'), subject: nullable('string') } },
    { object: { type: { oneOf: ['restart'] }, parent_run_id: 'string' } },
  ],
};

/** Retab's models as its SDK of 2026-05-29 (393edb37) reads them from `/v1/workflows/tests…`. */
export const TESTS_GENERATION_MODELS = {
  test: { object: { id: 'string', workflow_id: 'string', target: blockTarget, source: source(oldFileInput) }, optional: { ...testCommon, ...summaries(runSummary('block_config_fingerprint', {})) } },
  run: {
    object: {
      id: 'string',
      workflow: { object: { workflow_id: 'string', version_id: 'string' } },
      trigger: oldTrigger,
      lifecycle,
      timing,
      total_tests: 'integer',
    },
    optional: { target: nullable(blockTarget), test_id: nullable('string'), counts: nullable(counts) },
  },
  result: {
    object: { id: 'string', test_id: 'string', workflow_id: 'string', target: blockTarget, source: source(oldFileInput) },
    optional: {
      ...resultCommon,
      run_id: nullable('string'),
      block_config_fingerprint: nullable('string'),
      outputs: nullable({ record: 'any' }),
      routing_decision: nullable({ array: 'string' }),
      error: nullable(errorDetails),
      skipped: nullable('boolean'),
      verdict_summary: nullable({ object: { result: 'boolean' } }),
    },
  },
} satisfies Record<string, Shape>;

const handleEnvelope: Shape = { record: { union: [{ object: { type: { oneOf: ['json'] } }, optional: { data: 'any' } }, { object: { type: { oneOf: ['file'] }, document: { object: { id: 'string', filename: 'string', mime_type: 'string' } } } }] } };

/** Retab's models as its SDK of 2026-08-07 (61d9c44e) reads them from `/v1/workflows/evals…`. */
export const EVALS_GENERATION_MODELS = {
  test: {
    object: { id: 'string', workflow_id: 'string', target: blockTarget, source: source(newFileInput) },
    optional: {
      ...testCommon,
      ...summaries(runSummary('block_execution_fingerprint', { validity_fingerprint: nullable('string'), handle_inputs_fingerprint: nullable('string') })),
      freshness: nullable({ object: {}, optional: { status: nullable({ oneOf: ['fresh', 'stale', 'unknown'] }), reasons: nullable({ array: freshnessReasons }) } }),
      drift: nullable({ object: {}, optional: { status: nullable({ oneOf: ['none', 'drifted', 'broken', 'unknown'] }), affected_targets: nullable({ array: 'string' }), detail: nullable('string') } }),
    },
  },
  run: {
    object: {
      id: 'string',
      workflow_id: 'string',
      workflow_version_id: 'string',
      trigger: { object: { type: { oneOf: ['manual', 'api', 'schedule', 'webhook', 'email', 'custom', 'restart'] } } },
      lifecycle,
      timing,
      total_evals: 'integer',
    },
    optional: {
      target: nullable(blockTarget),
      eval_id: nullable('string'),
      counts: nullable(counts),
      freshness: nullable({
        object: { validity_fingerprint: nullable('string'), input_fingerprint: nullable('string'), baseline_run_id: nullable('string') },
        optional: { status: nullable({ oneOf: ['fresh', 'stale', 'unknown'] }), reasons: nullable({ array: freshnessReasons }) },
      }),
    },
  },
  result: {
    object: { id: 'string', eval_id: 'string', workflow_id: 'string', block_id: 'string', block_type: 'string' },
    optional: {
      ...resultCommon,
      workflow_eval_run_id: nullable('string'),
      block_execution_fingerprint: nullable('string'),
      artifact: nullable({ object: { operation: 'string', id: 'string' } }),
      handle_inputs: nullable(handleEnvelope),
      handle_outputs: nullable(handleEnvelope),
      routing_decisions: nullable({ array: 'string' }),
      verdict_summary: nullable({ object: { passed: 'boolean' } }),
    },
  },
} satisfies Record<string, Shape>;

export type ModelName = keyof typeof TESTS_GENERATION_MODELS;
