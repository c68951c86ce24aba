/**
 * Every error code Verdict uses, declared once (as Fastify keeps lib/errors.js): the codes the API
 * answers with in `detail.code`, each with its HTTP status and the one place its message is built,
 * and the codes of a test's failure, which travel inside a result. Everything else throws from
 * this list (errors/create.ts); docs/decisions.md §2 says why each status.
 *
 * A code with one situation builds its whole sentence here from ids. A code that covers many
 * situations (`validation_error`, `conflict`, …) takes the sentence from the one place that
 * detects each situation.
 */

export interface ValidationIssue {
  path: string;
  message: string;
  code?: string;
}

/** `details` of a `validation_error`: `issues` lists each problem with its path. */
export type ValidationDetails = { issues: ValidationIssue[] } & Record<string, unknown>;

export interface BuiltError {
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface ErrorDefinition<Args extends unknown[]> {
  status: number;
  /** When it is answered (for the docs). */
  when: string;
  build: (...args: Args) => BuiltError;
  /** Arguments of a typical case: the docs show its message, the tests build it. */
  example: Args;
}

function define<Args extends unknown[]>(status: number, when: string, build: (...args: Args) => BuiltError, example: Args): ErrorDefinition<Args> {
  return { status, when, build, example };
}

const sentence = (message: string, details: Record<string, unknown> = {}): BuiltError => ({ message, details });

export const ERRORS = {
  invalid_json: define(400, 'the body is not JSON', (parserMessage: string) => ({ message: `The request body is not valid JSON: ${parserMessage}` }), [
    "Unexpected token '}'",
  ]),
  invalid_request: define(
    400,
    "a request the framework refuses before any route sees it (a Content-Length that does not match the body); answered with the framework's own 4xx status",
    (message: string) => ({ message }),
    ['The Content-Length header does not match the body.'],
  ),
  invalid_url: define(
    400,
    'a `%` escape in the path is broken or does not encode UTF-8',
    () => ({ message: 'The URL cannot be decoded: a `%` escape is broken or does not encode UTF-8; percent-encode each path segment as UTF-8.' }),
    [],
  ),
  unauthorized: define(
    401,
    'no key, or a key that is unknown or revoked; a dashboard session that ended; no metrics token',
    (message: string, challenge?: string): BuiltError => ({ message, headers: challenge === undefined ? {} : { 'www-authenticate': challenge } }),
    ['The API key is not valid. Send a key created by `verdict keys create` in the Api-Key header.'],
  ),
  csrf_token_invalid: define(
    403,
    "a dashboard form without its session's CSRF token",
    () => ({ message: 'This form has expired or did not come from this dashboard. Reload the page and try again.' }),
    [],
  ),
  cross_site_request: define(
    403,
    'a dashboard form posted from another site',
    () => ({ message: 'Forms of this dashboard can only be sent from its own pages.' }),
    [],
  ),
  signed_url_invalid: define(
    403,
    "a signed upload or download URL whose signature does not match (altered or made up), or a download link past its time",
    (message: string) => ({ message }),
    ['This URL is not signed by this server; use the upload_url or download_url exactly as the API returned it.'],
  ),
  not_found: define(404, 'no such route (Retab routes this server does not serve included), or no such dashboard asset', sentence, ['No route GET /v1/nothing. The API is described at /openapi.json.']),
  workflow_not_found: define(
    404,
    'the workflow does not exist for this organization',
    (workflowId: string) => ({ message: `No workflow \`${workflowId}\` in this organization.`, details: { workflow_id: workflowId } }),
    ['wf_123'],
  ),
  block_not_found: define(404, 'the block does not exist (in this workflow) for this organization', sentence, ['No block `blk_123` in workflow `wf_123`.']),
  edge_not_found: define(
    404,
    'the edge does not exist for this organization',
    (edgeId: string) => ({ message: `No edge \`${edgeId}\` in this organization.`, details: { edge_id: edgeId } }),
    ['edg_123'],
  ),
  version_not_found: define(404, 'no stored workflow, block or edge version of that id (in this workflow) for this organization', sentence, [
    'No version `ver_123` of workflow `wf_123`.',
  ]),
  test_not_found: define(404, 'the test does not exist (in this workflow) for this organization', sentence, ['No test `wfnodetest_123` in this organization.']),
  run_not_found: define(
    404,
    'the test run does not exist for this organization',
    (runId: string) => ({ message: `No test run \`${runId}\` in this organization.`, details: { run_id: runId } }),
    ['wftestrun_123'],
  ),
  workflow_run_not_found: define(
    404,
    'the workflow run does not exist for this organization',
    (runId: string) => ({ message: `No workflow run \`${runId}\` in this organization.`, details: { run_id: runId } }),
    ['run_123'],
  ),
  step_not_found: define(404, 'no step of that id (in that run) for this organization', sentence, ['No step `blk_123` in workflow run `run_123`.']),
  artifact_not_found: define(
    404,
    'the workflow artifact does not exist for this organization',
    (artifactId: string) => ({ message: `No workflow artifact \`${artifactId}\` in this organization.`, details: { artifact_id: artifactId } }),
    ['fninv_123'],
  ),
  missing_run_inputs: define(
    400,
    'a workflow run created without the input of one of its start blocks; `details.block_ids` names them',
    (message: string, blockIds: string[]) => ({ message, details: { block_ids: blockIds } }),
    ['Start block `blk_1` (Invoice) has no input: give it in json_inputs.blk_1.', ['blk_1']],
  ),
  result_not_found: define(
    404,
    'the test result does not exist for this organization',
    (resultId: string) => ({ message: `No test result \`${resultId}\` in this organization.`, details: { result_id: resultId } }),
    ['wfnodetestrun_123'],
  ),
  experiment_not_found: define(
    404,
    'the experiment does not exist (in this workflow) for this organization',
    (experimentId: string) => ({ message: `No experiment \`${experimentId}\` in this organization.`, details: { experiment_id: experimentId } }),
    ['exp_123'],
  ),
  experiment_run_not_found: define(
    404,
    'the experiment run does not exist (in this experiment) for this organization',
    (runId: string) => ({ message: `No experiment run \`${runId}\` in this organization.`, details: { run_id: runId } }),
    ['exprun_123'],
  ),
  experiment_result_not_found: define(
    404,
    'the experiment result does not exist for this organization',
    (resultId: string) => ({ message: `No experiment result \`${resultId}\` in this organization.`, details: { result_id: resultId } }),
    ['expres_123'],
  ),
  file_not_found: define(
    404,
    'the file does not exist for this organization',
    (fileId: string) => ({ message: `No file \`${fileId}\` in this organization.`, details: { file_id: fileId } }),
    ['file_123'],
  ),
  upload_not_found: define(
    404,
    'no upload reserved under this file id for this organization (POST /v1/files/upload reserves one)',
    (fileId: string) => ({
      message: `No upload \`${fileId}\` in this organization; reserve one with POST /v1/files/upload and use the file_id it returns.`,
      details: { file_id: fileId },
    }),
    ['file_123'],
  ),
  upload_expired: define(
    410,
    'the upload reservation (and its upload_url) expired before the upload was completed',
    (fileId: string, expiredAt: string) => ({
      message: `The upload \`${fileId}\` expired at ${expiredAt}; reserve a new one with POST /v1/files/upload.`,
      details: { file_id: fileId, expired_at: expiredAt },
    }),
    ['file_123', '2026-12-02T10:00:00.000Z'],
  ),
  upload_mismatch: define(
    422,
    "the uploaded bytes are not the reserved size or do not have the given sha256, or none were uploaded",
    (message: string, details: Record<string, unknown>) => ({ message, details }),
    ['The upload `file_123` reserved 1024 bytes and received 1000; PUT exactly the reserved bytes to its upload_url.', { file_id: 'file_123', expected_size_bytes: 1024, received_size_bytes: 1000 }],
  ),
  workflow_run_not_cancellable: define(
    404,
    'a cancel of a workflow run that already completed or failed (docs/decisions.md §4)',
    (runId: string, status: string) => ({
      message: `Workflow run \`${runId}\` is already ${status}; only pending or running runs can be cancelled.`,
      details: { run_id: runId, status },
    }),
    ['run_123', 'completed'],
  ),
  run_not_cancellable: define(
    404,
    'a cancel of a run that already finished (docs/decisions.md §4)',
    (runId: string, status: string) => ({
      message: `Run \`${runId}\` is already ${status}; only pending, queued or running runs can be cancelled.`,
      details: { run_id: runId, status },
    }),
    ['wftestrun_123', 'completed'],
  ),
  method_not_allowed: define(
    405,
    'the path exists with another method',
    (method: string, path: string, allowed: string[]) => {
      const methods = [...new Set(allowed)];
      return { message: `${method} is not allowed on ${path}; use ${methods.join(' or ')}.`, details: { allowed }, headers: { allow: methods.join(', ') } };
    },
    ['PUT', '/v1/workflows', ['GET', 'POST']],
  ),
  conflict: define(409, 'the request clashes with existing state (a duplicate id, an input handle already connected)', sentence, [
    'The edge id `edg_1` is already used in workflow `wf_1`; omit id to let the server choose one.',
  ]),
  payload_too_large: define(413, 'a body or a file over its limit', sentence, ['The request body exceeds the limit of 10485760 bytes.']),
  uri_too_long: define(
    414,
    'a path segment longer than any id',
    (maxLength: number) => ({ message: `A path segment is longer than ${maxLength} characters; no id is that long.`, details: { max_length: maxLength } }),
    [500],
  ),
  unsupported_media_type: define(415, 'a body that is not JSON where JSON is required, or a file of a type Verdict cannot read', sentence, [
    'Send the request body as application/json.',
  ]),
  validation_error: define(
    422,
    'the request is well-formed but wrong; `details.issues` lists each problem with its path',
    (message: string, details: ValidationDetails) => ({ message, details }),
    ['Invalid request: `body.name` is required.', { issues: [{ path: 'body.name', message: 'is required' }] }],
  ),
  no_tests_in_scope: define(
    422,
    'a run of a workflow or block that has no tests, or a re-run of a run none of whose tests is left to run',
    (workflowId: string, blockId?: string, restart?: { parentRunId: string; onlyFailed: boolean }) => {
      const where = blockId ? `block \`${blockId}\` of workflow \`${workflowId}\`` : `workflow \`${workflowId}\``;
      const details = { workflow_id: workflowId, ...(blockId ? { block_id: blockId } : {}) };
      if (restart) {
        const which = restart.onlyFailed ? 'failed, blocked or errored tests' : 'tests that still exist';
        return { message: `Run \`${restart.parentRunId}\` has no ${which} to re-run.`, details: { ...details, restart_of: restart.parentRunId } };
      }
      return { message: `There are no tests for ${where}; create one with POST /v1/workflows/tests first.`, details };
    },
    ['wf_123'],
  ),
  upstream_changed: define(
    409,
    'a block execution whose upstream blocks (or the edges into them) changed since the run recorded its inputs; `check_eligibility: false` executes it anyway',
    (blockId: string, runId: string, details: Record<string, unknown>) => ({
      message: `The blocks above \`${blockId}\` changed since run \`${runId}\` recorded its inputs; run the workflow again, or pass check_eligibility: false to execute on the recorded inputs anyway.`,
      details: { ...details, block_id: blockId, run_id: runId },
    }),
    ['blk_1', 'run_1', { reason: 'upstream_changed' }],
  ),
  experiment_plan_changed: define(
    409,
    "an experiment run created with a `plan_token` that no longer matches the experiment's block config and documents",
    (experimentId: string, planToken: string) => ({
      message: `The plan of experiment \`${experimentId}\` changed since \`plan_token\` was issued (its block config or documents changed); read the experiment again and run with its current plan_token, or without one.`,
      details: { experiment_id: experimentId, current_plan_token: planToken },
    }),
    ['exp_123', '0123456789abcdef'],
  ),
  experiment_not_runnable: define(
    422,
    'an experiment that cannot run: no documents, a block of a type without an executor, or a deleted block',
    sentence,
    ['Experiment `exp_123` has no documents; add some with PATCH /v1/workflows/experiments/exp_123.'],
  ),
  run_not_finished: define(
    409,
    'a re-run of a run that is still pending, queued or running',
    (runId: string, status: string) => ({
      message: `Run \`${runId}\` is still ${status}; wait for it to finish (or cancel it) before re-running its tests.`,
      details: { run_id: runId, status },
    }),
    ['wftestrun_123', 'running'],
  ),
  rate_limited: define(
    429,
    'too many requests or failed sign-ins; `Retry-After` says when to come back',
    (message: string, retryAfterSeconds: number) => ({
      message,
      details: { retry_after_seconds: retryAfterSeconds },
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
    ['This API key sent more than 2000 requests per 1 s; retry in 1 s.', 1],
  ),
  workers_unavailable: define(
    503,
    'a distributed deployment (docs/decisions.md §2) where no worker executed a synchronous request in time, or the worker failed; nothing was written, retry later',
    (reason: string) => ({
      message: `No worker executed the block execution: ${reason}; nothing was recorded. Retry later, and check that \`verdict worker\` processes are running.`,
      details: { reason },
      headers: { 'retry-after': '5' },
    }),
    ['no worker took it within 10000 ms'],
  ),
  internal_error: define(
    500,
    'a defect of Verdict; it is logged with its stack, and the answer carries no stack',
    () => ({ message: 'The server failed to handle this request; it has been logged.' }),
    [],
  ),
};

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes of a test's failure: a block that could not produce an output gives its result verdict
 * `blocked` with one of these in `error.error_code` (docs/api.md). They are never an error answer.
 */
export const BLOCK_FAILURE_CODES = {
  // A file input (files/): also a 422 issue when a test is written with it. A file id or sha256
  // this organization never uploaded is `file_not_found`, declared above.
  invalid_data_url: 'a data: URL that is malformed or not base64',
  unsupported_file_location: 'a document that points at storage other than this server',
  file_too_large: 'a file over VERDICT_MAX_FILE_BYTES',
  unsupported_file_type: 'a file of a type Verdict cannot read',
  corrupt_file: 'a file whose bytes are not what its type says',
  blob_missing: 'a file whose stored bytes are gone from the blob store',
  // The model provider (model/).
  provider_not_configured: 'no model server, or no model name to call',
  provider_error: 'the model server failed for good (a refusal, or retries exhausted)',
  invalid_model_output: "the model's answer did not match the schema, even after the repair turn",
  model_cache_miss: 'replay mode found no recorded answer',
  // The block (execution/blocks/).
  block_execution_failed: 'the block threw, timed out, ran out of memory, or returned an output it may not',
  execution_error: 'the block ran, but its assertion could not be checked in time',
  missing_input: 'the test gives the block no input on a handle it reads',
  schema_invalid: "an extract block's json_schema is not usable",
} as const;

/** A code a test's failure may carry: its own, or `file_not_found` (the same meaning as the answer's). */
export type BlockFailureCode = keyof typeof BLOCK_FAILURE_CODES | 'file_not_found';

const STATUS_BY_CODE: ReadonlyMap<string, number> = new Map(Object.entries(ERRORS).map(([code, definition]) => [code, definition.status]));

/** The HTTP status of an answerable code; undefined for any other (a test's failure). */
export function statusOf(code: string): number | undefined {
  return STATUS_BY_CODE.get(code);
}
