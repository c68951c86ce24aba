export * from './schemas/index.js';
export * from './conditional-operators.js';
export * from './conditional.js';
export * from './merge-dicts.js';
export * from './for-each.js';
export * from './plan.js';
export * from './scheduler.js';
export * from './upstream-fingerprint.js';
