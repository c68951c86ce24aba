export { parseWorkflowSpec, type SpecParseResult } from './parse.js';
export { exportWorkflowSpec } from './export.js';
export { planWorkflowSpec, type DraftState, type PlanOperation, type WorkflowPlan } from './plan.js';
export { NO_CHANGES } from './render.js';
export { retargetSpec, type RetargetContext, type RetargetedSpec } from './retarget.js';
export {
  DEFAULT_WORKFLOW_NAME,
  formatPath as formatSpecPath,
  PLAN_FORMAT_VERSION,
  SPEC_API_VERSION,
  SPEC_KIND,
  type DraftBlock,
  type DraftEdge,
  type DraftTest,
  type FileIdentity,
  type SpecTest,
  type SpecTestInput,
  type DraftWorkflow,
  type ParsedSpec,
  type SpecBlock,
  type SpecEdge,
} from './model.js';
export { MAX_SPEC_TESTS } from './tests.js';
export { closestName } from './suggest.js';
export { starterSpec } from './starter.js';
export { replaceFileReferences, specFileReferences, type SpecFileReference } from './file-references.js';
