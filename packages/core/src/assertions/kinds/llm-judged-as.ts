import { notMet, passed, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { describeLocation } from '../path.js';
import { askJudge, expectedLabelOf, isJudgement, judgeExpectedValue, judgeMetric } from './judge.js';

export const llmJudgedAs: ConditionKindDefinition<ConditionOf<'llm_judged_as'>> = {
  expectedValue: judgeExpectedValue,
  metric: judgeMetric,
  async evaluate(condition, actual, context) {
    const answer = await askJudge(condition, actual, context);
    if (!isJudgement(answer)) return answer;
    const { judgedAs, label, reason, confidence, details } = answer;
    if (judgedAs) return passed(confidence);
    const subject = describeLocation(context.location);
    const expectedLabel = expectedLabelOf(condition);
    const finding = expectedLabel
      ? `labelled ${subject} ${JSON.stringify(label)}, not ${JSON.stringify(expectedLabel)}`
      : `found that ${subject} does not satisfy the rubric`;
    return notMet(`the judge ${finding}: ${reason}`, details, confidence);
  },
};
