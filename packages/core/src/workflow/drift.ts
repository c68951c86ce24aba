import { fingerprint } from '../canonical.js';
import { oncePerObject } from '../once-per-object.js';
import { formatPath, parsePath } from '../assertions/path.js';
import type { AssertionSpec, OutputTarget } from '../assertions/spec.js';
import type { EvalRunFreshness } from '../schemas/runs.js';
import type { BlockConfig, BlockType } from '../schemas/workflows.js';
import type {
  ArtifactDrift,
  ArtifactFreshness,
  AssertionDriftStatus,
  AssertionSchemaDep,
  FreshnessReason,
  SchemaDrift,
  TestValidationIssue,
  WorkflowTestSource,
} from '../schemas/tests.js';
import { blockConfigFingerprint } from './fingerprints.js';
import { deriveHandles } from './handles.js';
import { schemaAtPath } from './schema-path.js';
import { declaredOutputSchema } from './upstream-schema.js';

/**
 * Read-time verdicts about a saved test (docs/compatibility.md, "Freshness and drift"): whether its
 * latest verdict still speaks for the test as it is now (freshness), whether the schema part its
 * assertion depends on moved (drift), and whether it still fits its block (validation). Pure: the
 * server hands in what it read, in batches.
 */

/** A block as the draft (or a run's snapshot of it) holds it. */
export interface BlockState {
  type: BlockType;
  config: BlockConfig | null;
  parent_id: string | null;
}

/** The result a test's freshness is measured against: its latest one with a verdict. */
export interface VerdictBaseline {
  run_id: string;
  block_config_fingerprint: string;
  handle_inputs_fingerprint: string;
  assertion: AssertionSpec | null;
}

/** A dependency as the test keeps it: captured when its assertion was saved. */
export interface SavedSchemaDep {
  dep: AssertionSchemaDep | null;
  captured_at: string;
}

/** The latest run with a verdict, with the tested block as that run's snapshot held it (null: not in it). */
export interface RunSchemaState {
  started_at: string;
  block: BlockState | null;
}

export interface TestState {
  blockId: string;
  /** The block in the current draft; null when it was deleted. */
  block: BlockState | null;
  assertion: AssertionSpec | null;
  source: WorkflowTestSource;
  inputsFingerprint: string;
  savedDep: SavedSchemaDep | null;
  lastRun: RunSchemaState | null;
  baseline: VerdictBaseline | null;
}

export interface TestAssessment {
  assertion_schema_dep: AssertionSchemaDep | null;
  assertion_drift_status: AssertionDriftStatus | null;
  schema_drift: SchemaDrift;
  schema_drift_detail: string | null;
  drift: ArtifactDrift;
  freshness: ArtifactFreshness;
  validation_status: 'valid' | 'invalid';
  validation_issues: TestValidationIssue[];
}

/** The hash a dependency records for a path its schema does not declare. */
export const UNDECLARED_SUBTREE_HASH = fingerprint({ undeclared: true });

export function assessTest(state: TestState): TestAssessment {
  const dep = target(state.assertion) ? baselineDep(state.savedDep, state.lastRun, target(state.assertion)!) : null;
  const drift = assessDrift(state.blockId, state.block, state.assertion, dep);
  const validity = assessValidity(state.blockId, state.block, state.assertion, state.source);
  return {
    assertion_schema_dep: dep,
    ...drift,
    freshness: assessFreshness(state.block, state.assertion, state.inputsFingerprint, state.baseline),
    validation_status: validity.length > 0 ? 'invalid' : 'valid',
    validation_issues: validity,
  };
}

function target(assertion: AssertionSpec | null): OutputTarget | null {
  return assertion?.target ?? null;
}

/** The asserted path as the dependency names it: dotted keys and `[n]` indices, '' for the whole payload. */
function schemaPathOf(outputTarget: OutputTarget): string | null {
  const parsed = parsePath(outputTarget.path);
  return parsed.ok ? formatPath(parsed.segments) : null;
}

/**
 * What the assertion depends on in the block's declared output schema now: the hash of the schema
 * subtree at the asserted path (of its `$defs`/`definitions` too when the subtree refers into
 * them). Null when the block declares no schema for the handle: there is nothing to depend on.
 */
export function captureSchemaDep(block: BlockState | null, outputTarget: OutputTarget): AssertionSchemaDep | null {
  if (!block) return null;
  let deps = depsOfBlock.get(block);
  if (!deps) depsOfBlock.set(block, (deps = new Map()));
  const key = `${outputTarget.output_handle_id}\u0000${outputTarget.path ?? ''}`;
  if (!deps.has(key)) deps.set(key, computeSchemaDep(block, outputTarget));
  return deps.get(key)!;
}

/** Tests of one block often assert the same path (a whole-payload one hashes the whole schema): computed once per block object read. */
const depsOfBlock = new WeakMap<BlockState, Map<string, AssertionSchemaDep | null>>();

function computeSchemaDep(block: BlockState | null, outputTarget: OutputTarget): AssertionSchemaDep | null {
  const schema = block ? declaredOutputSchema(block, outputTarget.output_handle_id) : null;
  const parsed = parsePath(outputTarget.path);
  if (!schema || !parsed.ok) return null;
  const at = schemaAtPath(schema, parsed.segments);
  return {
    output_handle_id: outputTarget.output_handle_id,
    schema_path: formatPath(parsed.segments),
    subtree_hash: at.declared ? subtreeHash(schema, at.subtree) : UNDECLARED_SUBTREE_HASH,
    depends_on_root: parsed.segments.length === 0,
  };
}

function subtreeHash(schema: Record<string, unknown>, subtree: unknown): string {
  if (!JSON.stringify(subtree).includes('"$ref"')) return fingerprint(subtree);
  return fingerprint({ subtree, $defs: schema.$defs ?? null, definitions: schema.definitions ?? null });
}

/**
 * The dependency at the later of the assertion's save and the latest run with a verdict: a run
 * re-establishes what the verdict was reached against, so drift is measured from there.
 */
export function baselineDep(saved: SavedSchemaDep | null, lastRun: RunSchemaState | null, outputTarget: OutputTarget): AssertionSchemaDep | null {
  if (lastRun && (!saved || lastRun.started_at >= saved.captured_at)) return captureSchemaDep(lastRun.block, outputTarget);
  return saved?.dep ?? null;
}

type DriftPart = Pick<TestAssessment, 'assertion_drift_status' | 'schema_drift' | 'schema_drift_detail' | 'drift'>;

function driftOf(status: ArtifactDrift['status'], affected: string[], detail: string | null): DriftPart {
  const perAssertion = { none: 'valid', drifted: 'drifted', broken: 'broken', unknown: null } as const;
  const schemaDrift = { none: 'none', drifted: 'partial', broken: 'drifted', unknown: 'unknown' } as const;
  return {
    assertion_drift_status: perAssertion[status],
    schema_drift: schemaDrift[status],
    schema_drift_detail: detail,
    drift: { status, affected_targets: status === 'none' || status === 'unknown' ? [] : affected, detail },
  };
}

/**
 * `broken`: the asserted target no longer exists (block deleted, output handle gone, path no longer
 * declared by the schema). `drifted`: the schema subtree at the path differs from the dependency.
 * `none`: it is the same. `unknown`: no assertion, or the block declares no schema for the handle.
 */
export function assessDrift(blockId: string, block: BlockState | null, assertion: AssertionSpec | null, dep: AssertionSchemaDep | null): DriftPart {
  if (!assertion) return driftOf('unknown', [], 'The test has no assertion.');
  const handle = assertion.target.output_handle_id;
  const schemaPath = schemaPathOf(assertion.target);
  const affected = [schemaPath || handle];
  if (!block) return driftOf('broken', affected, `Block \`${blockId}\` is no longer in the workflow draft.`);
  if (!deriveHandles(block.type, block.config).outputs.some((output) => output.id === handle)) {
    return driftOf('broken', affected, `Block \`${blockId}\` no longer has the output handle \`${handle}\`.`);
  }
  const parsed = parsePath(assertion.target.path);
  if (!parsed.ok) return driftOf('broken', affected, `The asserted path is malformed: ${parsed.message}.`);
  const schema = declaredOutputSchema(block, handle);
  if (!schema) return driftOf('unknown', [], `Block \`${blockId}\` declares no JSON Schema for \`${handle}\`, so there is nothing to compare.`);
  const at = schemaAtPath(schema, parsed.segments);
  if (!at.declared) return driftOf('broken', affected, `The asserted path is gone: ${at.missing}.`);
  const where = schemaPath === '' ? `\`${handle}\`` : `\`${schemaPath}\``;
  const now = captureSchemaDep(block, assertion.target)!;
  if (!dep || dep.output_handle_id !== now.output_handle_id || dep.schema_path !== now.schema_path) {
    return driftOf('drifted', affected, `The output schema declares ${where} now; it did not when the test was saved or last run.`);
  }
  if (dep.subtree_hash !== now.subtree_hash) {
    const was = dep.subtree_hash === UNDECLARED_SUBTREE_HASH ? 'was not declared' : 'was different';
    return driftOf('drifted', affected, `The output schema of ${where} changed: it ${was} when the test was saved or last run.`);
  }
  return driftOf('none', affected, null);
}

/** A page of tests shares a few blocks: each block object's fingerprint (its whole config, code included) is hashed once (block objects are read per request and never changed). */
const fingerprintOnce = oncePerObject((block: BlockState) => blockConfigFingerprint(block));

/** What a verdict's validity depends on besides inputs: what the block computes and what the assertion checks. */
export function validityFingerprint(blockFingerprint: string, assertion: AssertionSpec | null): string {
  const checked = assertion ? { output_handle_id: assertion.target.output_handle_id, path: schemaPathOf(assertion.target) ?? assertion.target.path, condition: assertion.condition } : null;
  return fingerprint({ block: blockFingerprint, assertion: checked });
}

/**
 * `fresh` when the baseline verdict was reached by the same block execution, the same inputs and
 * the same assertion as the test has now; otherwise `stale`, naming each axis that moved:
 * `engine_changed` (the block's execution fingerprint: type, config, parent), `validity_changed`
 * (that or the assertion's target and condition), `inputs_changed`; `no_baseline` without one.
 */
export function assessFreshness(block: BlockState | null, assertion: AssertionSpec | null, inputsFingerprint: string, baseline: VerdictBaseline | null): ArtifactFreshness {
  const blockFingerprint = block ? fingerprintOnce(block) : null;
  const validity = blockFingerprint === null ? null : validityFingerprint(blockFingerprint, assertion);
  const reasons: FreshnessReason[] = [];
  if (!baseline) reasons.push('no_baseline');
  else {
    if (validity !== validityFingerprint(baseline.block_config_fingerprint, baseline.assertion)) reasons.push('validity_changed');
    if (inputsFingerprint !== baseline.handle_inputs_fingerprint) reasons.push('inputs_changed');
    if (blockFingerprint !== baseline.block_config_fingerprint) reasons.push('engine_changed');
  }
  return {
    status: reasons.length === 0 ? 'fresh' : 'stale',
    reasons,
    validity_fingerprint: validity,
    input_fingerprint: inputsFingerprint,
    baseline_run_id: baseline?.run_id ?? null,
  };
}

/** Whether the test still fits its block: the block exists, has the asserted output and every input the source fills. */
export function assessValidity(blockId: string, block: BlockState | null, assertion: AssertionSpec | null, source: WorkflowTestSource): TestValidationIssue[] {
  if (!block) return [{ code: 'block_missing', message: `Block \`${blockId}\` is no longer in the workflow draft.` }];
  const handles = deriveHandles(block.type, block.config);
  const issues: TestValidationIssue[] = [];
  const output = assertion?.target.output_handle_id;
  if (output && !handles.outputs.some((handle) => handle.id === output)) {
    issues.push({ code: 'output_handle_missing', message: `Block \`${blockId}\` no longer has the output handle \`${output}\`.` });
  }
  if (source.type === 'manual') {
    const inputs = new Map(handles.inputs.map((handle) => [handle.id, handle.kind]));
    for (const [handleId, input] of Object.entries(source.handle_inputs)) {
      const kind = inputs.get(handleId);
      if (!kind) issues.push({ code: 'input_handle_missing', message: `Block \`${blockId}\` no longer has the input handle \`${handleId}\` the test fills.` });
      else if (kind !== input.type) issues.push({ code: 'input_kind_mismatch', message: `Input handle \`${handleId}\` of block \`${blockId}\` takes ${kind} input now; the test gives ${input.type}.` });
    }
  }
  return issues;
}

/** A run as its freshness envelope sees it. */
export interface RunFreshnessState {
  id: string;
  /** The fingerprint of the draft the run snapshotted (its version is `ver_` + this). */
  draftFingerprint: string;
  /** Whether any of its tests reached a verdict. */
  hasVerdicts: boolean;
}

/**
 * Retab's compatibility envelope on a run (the per-test `freshness` is the authoritative one):
 * `fresh` when the workflow's draft is still the one the run executed, else `stale` with
 * `validity_changed`; `no_baseline` too while the run has no verdict; `unknown` only when the
 * current draft cannot be read. Runs keep no fingerprint of all their inputs: `input_fingerprint`
 * is null (each result carries its own).
 */
export function runFreshness(run: RunFreshnessState, currentDraftFingerprint: string | null): EvalRunFreshness {
  const reasons: FreshnessReason[] = [];
  if (!run.hasVerdicts) reasons.push('no_baseline');
  if (currentDraftFingerprint !== null && currentDraftFingerprint !== run.draftFingerprint) reasons.push('validity_changed');
  const status = currentDraftFingerprint === null ? 'unknown' : reasons.length === 0 ? 'fresh' : 'stale';
  return { status, reasons, validity_fingerprint: run.draftFingerprint, input_fingerprint: null, baseline_run_id: run.hasVerdicts ? run.id : null };
}
