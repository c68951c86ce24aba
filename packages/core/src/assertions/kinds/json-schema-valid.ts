import { compileJsonSchema, summarizeJsonSchemaIssues } from '../../json-schema.js';
import { blocked, notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { describeLocation } from '../path.js';

export const jsonSchemaValid: ConditionKindDefinition<ConditionOf<'json_schema_valid'>> = {
  expectedValue: (condition) => condition.schema ?? null,
  evaluate(condition, actual, context) {
    if (condition.schema == null) return blocked('schema_invalid', 'the condition has no `schema`: give the JSON Schema the value must match');
    const compiled = compileJsonSchema(condition.schema);
    if (!compiled.ok) return blocked('schema_invalid', compiled.message);
    const issues = compiled.validate(actual);
    if (issues.length === 0) return PASSED;
    return notMet(`${describeLocation(context.location)} does not match the JSON Schema: ${summarizeJsonSchemaIssues(issues, context.location)}`, { issues });
  },
};
