import { notMet, passed, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { describeLocation } from '../path.js';
import { askJudge, expectedLabelOf, isJudgement, judgeExpectedValue, judgeMetric } from './judge.js';

export const llmNotJudgedAs: ConditionKindDefinition<ConditionOf<'llm_not_judged_as'>> = {
  expectedValue: judgeExpectedValue,
  metric: judgeMetric,
  async evaluate(condition, actual, context) {
    const answer = await askJudge(condition, actual, context);
    if (!isJudgement(answer)) return answer;
    const { judgedAs, label, reason, confidence, details } = answer;
    if (!judgedAs) return passed(confidence);
    const subject = describeLocation(context.location);
    const expectedLabel = expectedLabelOf(condition);
    const finding = expectedLabel
      ? `labelled ${subject} ${JSON.stringify(label)}, which it must not be`
      : `found that ${subject} satisfies the rubric, which it must not`;
    return notMet(`the judge ${finding}: ${reason}`, details, confidence);
  },
};
