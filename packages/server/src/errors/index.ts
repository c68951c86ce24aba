export { BLOCK_FAILURE_CODES, ERRORS, statusOf, type BlockFailureCode, type ErrorCode, type ValidationDetails, type ValidationIssue } from './catalogue.js';
export { convertError, createError } from './create.js';
export { isAnswerable, VerdictError, type VerdictErrorOptions } from './verdict-error.js';
