export * from './rules.js';
export * from './policy.js';
