// The data model, re-exported for convenience.
export * from './job.js';
export * from './node.js';
export * from './alloc.js';
export * from './evaluation.js';
export * from './deployment.js';
export * from './summary.js';
export * from './plan.js';
export * from './ids.js';
export * from './time.js';
export * from './errors.js';
