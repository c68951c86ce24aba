/**
 * Why a verdict changed: how one test's result in a run compares with its result in a base run,
 * which of the fingerprints Verdict records differ between the two, and how stable a test has been
 * while nothing it depends on changed (issue 23). Pure: the store reads the rows, this decides.
 */
import { z } from 'zod';

/** What a test came to in one run: its verdict, `error` (it could not execute) or `not_run` (cancelled, or still live). */
export const RUN_OUTCOMES = ['passed', 'failed', 'blocked', 'error', 'not_run'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export const CHANGE_KINDS = ['new_failure', 'fixed', 'still_failing', 'still_passing', 'added', 'removed', 'not_run'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What a result depended on, each recorded as a fingerprint when its run was created. */
export const FINGERPRINT_KINDS = ['inputs', 'block_config', 'assertion', 'draft'] as const;
export type FingerprintKind = (typeof FINGERPRINT_KINDS)[number];

/** The dependencies of one result, as the store keeps them. */
export interface ResultDependencies {
  handle_inputs_fingerprint: string;
  block_config_fingerprint: string;
  /** The assertion as the run copied it (canonical JSON). */
  assertion: string;
  workflow_draft_fingerprint: string;
}

export function runOutcome(status: string, verdict: string | null): RunOutcome {
  if (status === 'completed' && (verdict === 'passed' || verdict === 'failed' || verdict === 'blocked')) return verdict;
  if (status === 'error') return 'error';
  return 'not_run';
}

const isFailure = (outcome: RunOutcome) => outcome === 'failed' || outcome === 'blocked' || outcome === 'error';

export function classifyChange(before: RunOutcome | null, after: RunOutcome | null): ChangeKind {
  if (before === null) return 'added';
  if (after === null) return 'removed';
  if (before === 'not_run' || after === 'not_run') return 'not_run';
  if (before === 'passed') return after === 'passed' ? 'still_passing' : 'new_failure';
  return isFailure(after) ? 'still_failing' : 'fixed';
}

/**
 * Which dependencies differ between two results of one test. `draft` names a change elsewhere in
 * the workflow: it is listed when the draft changed while this test's block did not (an edit of the
 * block changes the draft too, and is named by `block_config` alone).
 */
export function changedDependencies(before: ResultDependencies, after: ResultDependencies): FingerprintKind[] {
  const changed: FingerprintKind[] = [];
  if (before.handle_inputs_fingerprint !== after.handle_inputs_fingerprint) changed.push('inputs');
  const blockChanged = before.block_config_fingerprint !== after.block_config_fingerprint;
  if (blockChanged) changed.push('block_config');
  if (before.assertion !== after.assertion) changed.push('assertion');
  if (!blockChanged && before.workflow_draft_fingerprint !== after.workflow_draft_fingerprint) changed.push('draft');
  return changed;
}

/** A verdict that changed while nothing it depends on did: nondeterminism, not a regression. */
export function isFlakyChange(before: RunOutcome | null, after: RunOutcome | null, changed: readonly FingerprintKind[]): boolean {
  if (before === null || after === null || before === 'not_run' || after === 'not_run') return false;
  return before !== after && changed.length === 0;
}

/** Display order of a comparison: what needs attention first. */
export const CHANGE_ORDER: Record<ChangeKind, number> = { new_failure: 0, fixed: 1, still_failing: 2, added: 3, removed: 4, not_run: 5, still_passing: 6 };

export const STABILITY_WINDOW = 20;

/** Verdicts of a test's results, newest first, all with the same dependencies as the newest. */
export function stabilityOf(verdictsNewestFirst: readonly RunOutcome[]): Stability {
  const window = verdictsNewestFirst.filter((outcome) => outcome !== 'not_run').slice(0, STABILITY_WINDOW);
  let flips = 0;
  for (let index = 1; index < window.length; index++) if (window[index] !== window[index - 1]) flips++;
  return { window: STABILITY_WINDOW, runs: window.length, flips, flaky: flips > 0 };
}

export const RunOutcomeSchema = z.enum(RUN_OUTCOMES);

export const Stability = z
  .object({
    window: z.number().int().describe('How many of the latest results with unchanged dependencies are looked at.'),
    runs: z.number().int().describe('How many such results there are (at most `window`).'),
    flips: z.number().int().describe('How many times the verdict changed between consecutive results among them.'),
    flaky: z.boolean().describe('The verdict changed at least once while nothing the test depends on did.'),
  })
  .meta({ id: 'TestStability' });
export type Stability = z.infer<typeof Stability>;

export const RunChange = z
  .object({
    test_id: z.string(),
    test_name: z.string().nullable(),
    block_id: z.string(),
    before: RunOutcomeSchema.nullable().describe('The test in the base run; null when it was not in it.'),
    after: RunOutcomeSchema.nullable().describe('The test in this run; null when it was not in it.'),
    change: z.enum(CHANGE_KINDS),
    changed: z.array(z.enum(FINGERPRINT_KINDS)).describe('Dependencies that differ between the two results (empty when the test is in one run only).'),
    flaky: z.boolean().describe('The verdict changed while `changed` is empty.'),
    before_result_id: z.string().nullable(),
    after_result_id: z.string().nullable(),
  })
  .meta({ id: 'RunChange' });
export type RunChange = z.infer<typeof RunChange>;

export const ComparisonSummary = z
  .object({
    new_failures: z.number().int(),
    fixed: z.number().int(),
    still_failing: z.number().int(),
    still_passing: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
    not_run: z.number().int(),
    flaky: z.number().int(),
  })
  .meta({ id: 'ComparisonSummary' });
export type ComparisonSummary = z.infer<typeof ComparisonSummary>;

export const RunComparison = z
  .object({
    run_id: z.string(),
    base_run_id: z.string().nullable().describe('null when no earlier finished run of the workflow shares a test with this one.'),
    summary: ComparisonSummary,
    changes: z.array(RunChange),
    list_metadata: z.object({ before: z.string().nullable(), after: z.string().nullable() }),
  })
  .meta({ id: 'RunComparison' });
export type RunComparison = z.infer<typeof RunComparison>;

const SUMMARY_KEY: Record<ChangeKind, keyof ComparisonSummary> = {
  new_failure: 'new_failures',
  fixed: 'fixed',
  still_failing: 'still_failing',
  still_passing: 'still_passing',
  added: 'added',
  removed: 'removed',
  not_run: 'not_run',
};

/** Counts changes by kind and the flaky ones; an entry may stand for `count` tests alike (a group the database counted). */
export function summarize(changes: readonly (Pick<RunChange, 'change' | 'flaky'> & { count?: number })[]): ComparisonSummary {
  const summary: ComparisonSummary = { new_failures: 0, fixed: 0, still_failing: 0, still_passing: 0, added: 0, removed: 0, not_run: 0, flaky: 0 };
  for (const { change, flaky, count = 1 } of changes) {
    summary[SUMMARY_KEY[change]] += count;
    if (flaky) summary.flaky += count;
  }
  return summary;
}
