export * from './business-days.js';
export * from './quiet-hours.js';
