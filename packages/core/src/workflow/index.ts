export * from './handles.js';
export * from './block-config.js';
export * from './merge-patch.js';
export * from './edges.js';
export * from './fingerprints.js';
export * from './spec/index.js';
export * from './upstream-schema.js';
export * from './test-names.js';
