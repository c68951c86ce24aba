export { evaluateAssertion, blockedResult, type EvaluateOptions } from './evaluate.js';
export { validateCondition, requiresModelProvider, type ConditionProblem } from './validate.js';
export { parsePath, resolvePath, type PathSegment, type ParsedPath, type PathResolution } from './path.js';
export { compileRegex, type CompiledRegex } from './regex.js';
export { deepEqual } from './difference.js';
export { levenshteinSimilarity, cosineSimilarity } from './similarity.js';
export {
  compileJsonSchema,
  summarizeJsonSchemaIssues,
  type CompiledJsonSchema,
  type JsonSchemaIssue,
  type JsonSchemaValidator,
} from '../json-schema.js';
