export { DEFAULT_BASE_URL, Verdict, type VerdictOptions } from './client.js';
export {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  ValidationError,
  VerdictError,
} from './errors.js';
export { Page, PagePromise, type PageBody } from './pagination.js';
export { isTerminalRun, type WaitOptions } from './resources/runs.js';
export { isTerminalWorkflowRun, type WorkflowRunWaitOptions } from './resources/workflow-runs.js';
export type { RequestOptions } from './transport.js';
export type * from './types.js';
