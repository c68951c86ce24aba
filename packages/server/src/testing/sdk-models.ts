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
  | 'number'
  | 'boolean'
  | 'datetime'
  | 'any'
  | { nullable: Shape }
  | { object: Record<string, Shape>; optional?: Record<string, Shape> }
  | { array: Shape }
  | { record: Shape }
  | { oneOf: readonly (string | number)[] }
  | { union: Shape[] }
  /** Every shape at once: a response that both SDK generations must parse. */
  | { allOf: Shape[] };

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
      case 'number':
        return typeof value === 'number' && Number.isFinite(value) ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
      case 'datetime':
        return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? [] : [`${path}: expected a datetime, got ${JSON.stringify(value)}`];
    }
  }
  if ('nullable' in shape) return value === null ? [] : violations(value, shape.nullable, path);
  if ('allOf' in shape) return shape.allOf.flatMap((part) => violations(value, part, path));
  if ('oneOf' in shape) return shape.oneOf.includes(value as string | number) ? [] : [`${path}: expected one of ${shape.oneOf.join(', ')}, got ${JSON.stringify(value)}`];
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

/*
 * Experiments (types/workflows/experiments/*.py at both commits, retab-api-delta §4): one shape per
 * response, the old generation's model and the new one's together (allOf), as one server answers both.
 */
const BLOCK_TYPES = ['extract', 'classifier', 'split', 'for_each'] as const;
const N_CONSENSUS = [3, 5, 7] as const;
const bothGenerations = (old: Shape, current: Shape): Shape => ({ allOf: [old, current] });
const experimentCommon = {
  document_count: nullable('integer'),
  last_run_id: nullable('string'),
  created_at: nullable('datetime'),
  updated_at: nullable('datetime'),
  status: nullable({ oneOf: ['draft', 'processing', 'completed', 'failed', 'cancelled'] }),
  score: nullable('number'),
  is_stale: nullable('boolean'),
  schema_drift: nullable({ oneOf: ['none', 'partial', 'drifted', 'unknown'] }),
  schema_drift_detail: nullable('string'),
} satisfies Record<string, Shape>;
const experimentRequired = { id: 'string', workflow_id: 'string', block_id: 'string', n_consensus: { oneOf: N_CONSENSUS }, name: 'string', block_type: { oneOf: BLOCK_TYPES } } satisfies Record<string, Shape>;
const runRequired = {
  id: 'string',
  trigger: { object: {}, optional: { type: nullable('string') } },
  experiment_id: 'string',
  block_id: 'string',
  block_type: { oneOf: BLOCK_TYPES },
  n_consensus: { oneOf: N_CONSENSUS },
  lifecycle,
  timing,
  documents_fingerprint: 'string',
} satisfies Record<string, Shape>;
const runOptional = {
  parent_run_id: nullable('string'),
  score: nullable('number'),
  total_document_count: nullable('integer'),
  completed_document_count: nullable('integer'),
  document_count: nullable('integer'),
  error_count: nullable('integer'),
} satisfies Record<string, Shape>;
const resultRequired = { id: 'string', experiment_id: 'string', document_id: 'string', lifecycle, timing, block_type: { oneOf: BLOCK_TYPES } } satisfies Record<string, Shape>;
const scores = { score: nullable('number'), prior_score: nullable('number') } satisfies Record<string, Shape>;
const documentRef: Shape = { object: { id: 'string', filename: 'string' } };
const flows: Shape = { array: { object: { source: 'string', target: 'string', score: 'number' } } };
const confusionSummary: Shape = { object: {}, optional: { diag: nullable({ record: 'number' }), flows: nullable(flows) } };
const summary = (fingerprint: string): Shape => ({
  object: { experiment_id: 'string', run_id: 'string', block_type: { oneOf: BLOCK_TYPES } },
  optional: {
    kind: { oneOf: ['summary'] },
    view: { oneOf: ['summary'] },
    [fingerprint]: nullable('string'),
    ...scores,
    documents: nullable({ array: { object: { id: 'string', filename: 'string' }, optional: scores } }),
    aggregate: nullable({ union: [{ object: {}, optional: { likelihoods: nullable({ record: 'number' }) } }, confusionSummary] }),
    prior_run_id: nullable('string'),
  },
});
const stale = (fingerprint: string, current: string): Shape => ({
  object: {
    experiment_id: 'string',
    message: 'string',
    last_run: { object: { run_id: 'string' }, optional: { [fingerprint]: nullable('string'), score: nullable('number'), created_at: nullable('datetime') } },
  },
  optional: { kind: { oneOf: ['stale_metrics'] }, error: { oneOf: ['stale_metrics'] }, stale_reasons: nullable({ array: 'string' }), [current]: nullable('string') },
});

export const EXPERIMENT_MODELS = {
  experiment: bothGenerations(
    { object: experimentRequired, optional: experimentCommon },
    {
      object: experimentRequired,
      optional: {
        ...experimentCommon,
        freshness_state: nullable({ oneOf: ['fresh', 'stale', 'unknown'] }),
        freshness_reasons: nullable({ array: 'string' }),
        run_plan_mode: nullable({ oneOf: ['run', 'noop', 'conflict', 'unknown'] }),
        rerunnable_document_count: nullable('integer'),
      },
    },
  ),
  run: bothGenerations(
    { object: { ...runRequired, workflow: { object: { workflow_id: 'string', version_id: 'string' } }, definition_fingerprint: 'string' }, optional: runOptional },
    {
      object: { ...runRequired, workflow_id: 'string', workflow_version_id: 'string', block_execution_fingerprint: 'string' },
      optional: { ...runOptional, block_version_id: nullable('string'), metrics_validity_fingerprint: nullable('string'), metrics_validity_fingerprint_version: nullable('integer') },
    },
  ),
  cancel: { object: { id: 'string', lifecycle } },
  result: bothGenerations(
    { object: { ...resultRequired, run_id: 'string' }, optional: { handle_inputs: nullable(handleInputs(oldFileInput)), artifact: nullable({ object: { operation: 'string', id: 'string' } }), attempt: nullable('integer'), is_placeholder: nullable('boolean') } },
    {
      object: { ...resultRequired, experiment_run_id: 'string' },
      optional: { handle_inputs: nullable(handleInputs(newFileInput)), handle_outputs: nullable(handleEnvelope), artifact: nullable({ object: { operation: 'string', id: 'string' } }), attempt: nullable('integer') },
    },
  ),
  summaryMetrics: bothGenerations(summary('definition_fingerprint'), summary('block_execution_fingerprint')),
  byDocumentMetrics: {
    object: { run_id: 'string', document: documentRef },
    optional: {
      kind: { oneOf: ['by_document'] },
      view: { oneOf: ['by_document'] },
      ...scores,
      confusion: nullable(confusionSummary),
      targets: nullable({ array: { object: { path: 'string' }, optional: { ...scores, value: 'any' } } }),
    },
  },
  byTargetMetrics: {
    object: { run_id: 'string', target: 'string' },
    optional: {
      kind: { oneOf: ['by_target'] },
      view: { oneOf: ['by_target'] },
      ...scores,
      confusion: nullable({ object: {}, optional: { self: nullable('number'), flow_from: nullable({ record: 'number' }), flow_to: nullable({ record: 'number' }) } }),
      documents: nullable({ array: { object: { id: 'string', filename: 'string' }, optional: { ...scores, value: 'any' } } }),
    },
  },
  votesMetrics: {
    object: { run_id: 'string', document: documentRef, target: 'string' },
    optional: {
      kind: { oneOf: ['votes'] },
      view: { oneOf: ['votes'] },
      ...scores,
      rows: nullable({
        array: {
          object: {},
          optional: { consensus: 'any', votes: nullable({ array: 'any' }), score: nullable('number'), row_presence_score: nullable('number'), present_voter_count: nullable('integer'), total_voter_count: nullable('integer') },
        },
      }),
    },
  },
  missingMetrics: { object: { experiment_id: 'string', message: 'string' }, optional: { kind: { oneOf: ['no_metrics'] }, error: { oneOf: ['no_metrics'] } } },
  staleMetrics: bothGenerations(stale('definition_fingerprint', 'current_config_fingerprint'), stale('block_execution_fingerprint', 'current_block_execution_fingerprint')),
} satisfies Record<string, Shape>;
