import { blocked, notMet, passed, type ConditionKindDefinition, type ConditionOf, type Evaluation, type EvaluationContext } from '../evaluation.js';
import { callModel, providerError } from '../model-call.js';
import { at } from '../path.js';
import { cosineSimilarity, levenshteinSimilarity, reaches } from '../similarity.js';
import { comparableText } from '../values.js';

type SimilarityCondition = ConditionOf<'similarity_gte'>;

export const similarityGte: ConditionKindDefinition<SimilarityCondition> = {
  expectedValue: (condition) => condition.reference,
  metric: (condition) => ({ metricKind: condition.method, threshold: condition.threshold }),
  async evaluate(condition, actual, context) {
    const actualText = comparableText(actual);
    const referenceText = comparableText(condition.reference);
    return condition.method === 'embeddings'
      ? embeddingSimilarity(condition, actualText, referenceText, context)
      : editSimilarity(condition, actualText, referenceText, context);
  },
};

function editSimilarity(condition: SimilarityCondition, actualText: string, referenceText: string, context: EvaluationContext): Evaluation {
  const similarity = levenshteinSimilarity(actualText, referenceText);
  if (!similarity.ok) return blocked('execution_error', similarity.message);
  return graded(condition, similarity.score, context);
}

async function embeddingSimilarity(condition: SimilarityCondition, actualText: string, referenceText: string, context: EvaluationContext): Promise<Evaluation> {
  // Identical texts need no model call, but still a configured provider: the verdict must not depend on the value.
  if (actualText === referenceText && context.provider !== null) return graded(condition, 1, context);
  const call = await callModel(context, 'similarity_gte', (provider, signal) => provider.embed([actualText, referenceText], signal));
  if (!call.ok) return call.evaluation;
  const [actualVector, referenceVector] = call.value;
  const score = isVector(actualVector) && isVector(referenceVector) ? cosineSimilarity(actualVector, referenceVector) : null;
  if (score === null) return providerError('it returned embeddings that cannot be compared (expected two non-zero vectors of the same length)');
  return graded(condition, score, context);
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((component) => typeof component === 'number');
}

function graded(condition: SimilarityCondition, score: number, context: EvaluationContext): Evaluation {
  if (reaches(score, condition.threshold)) return passed(score);
  return notMet(
    `${condition.method} similarity ${at(context.location)} is ${score.toFixed(3)}, below the threshold ${condition.threshold}`,
    { score, threshold: condition.threshold },
    score,
  );
}
