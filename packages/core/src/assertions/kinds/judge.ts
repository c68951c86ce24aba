import type { ConditionOf, Evaluation, EvaluationContext } from '../evaluation.js';
import { callModel, providerError } from '../model-call.js';

type JudgeCondition = ConditionOf<'llm_judged_as'> | ConditionOf<'llm_not_judged_as'>;

/** The judge's answer, read: `judgedAs` is true when it found the value to be what the rubric (or `expected_label`) describes. */
export interface Judgement {
  judgedAs: boolean;
  label: string;
  reason: string;
  confidence: number | null;
  /** What a failure reports in `failure.details`. */
  details: Record<string, unknown>;
}

/** Shared by `llm_judged_as` and its negation: asks the judge and reads its answer. */
export async function askJudge(condition: JudgeCondition, actual: unknown, context: EvaluationContext): Promise<Judgement | Evaluation> {
  const expectedLabel = expectedLabelOf(condition);
  const call = await callModel(context, condition.kind, (provider, signal) =>
    provider.judge({ rubric: condition.rubric, value: actual, expectedLabel, signal }),
  );
  if (!call.ok) return call.evaluation;
  const { label, reason, confidence } = call.value ?? {};
  if (typeof label !== 'string') return providerError('the judge returned no label');
  const judgement = {
    judgedAs: normalizeLabel(label) === normalizeLabel(expectedLabel ?? 'yes'),
    label,
    reason: typeof reason === 'string' ? reason : '',
    confidence: typeof confidence === 'number' && Number.isFinite(confidence) ? confidence : null,
  };
  return { ...judgement, details: { label, reason: judgement.reason, confidence: judgement.confidence, expected_label: expectedLabel } };
}

export function isJudgement(answer: Judgement | Evaluation): answer is Judgement {
  return 'judgedAs' in answer;
}

/** A blank `expected_label` asks the same as none: a yes/no judgement against the rubric. */
export function expectedLabelOf(condition: JudgeCondition): string | null {
  const label = condition.expected_label;
  return label != null && label.trim() !== '' ? label : null;
}

function normalizeLabel(label: string): string {
  return label.trim().toLowerCase();
}

export const judgeExpectedValue = (condition: JudgeCondition) => ({ rubric: condition.rubric, expected_label: expectedLabelOf(condition) });

export const judgeMetric = () => ({ metricKind: 'llm_judge', threshold: null });
