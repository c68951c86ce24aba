export * from './votes.js';
export * from './metrics.js';
export * from './staleness.js';
