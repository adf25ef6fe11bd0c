import ExecutionOverlays from './ExecutionOverlays.js';

/** diagram-js module: `executionOverlays.show(instanceDetails)`. */
export default {
  __init__: ['executionOverlays'],
  executionOverlays: ['type', ExecutionOverlays],
};
