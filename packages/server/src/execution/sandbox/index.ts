export { SandboxPool } from './pool.js';
export type { SandboxFailureReason, SandboxJob, SandboxOutcome, SandboxPoolOptions } from './types.js';
