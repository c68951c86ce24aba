export * from './limits.js';
export * from './runs.js';
export * from './steps.js';
export * from './artifacts.js';
export * from './block-executions.js';
