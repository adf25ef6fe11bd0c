export * from './chain.js';
export * from './checkpoint.js';
export * from './keys.js';
