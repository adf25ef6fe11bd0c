import LintSummary from './LintSummary.js';

export default {
  __init__: ['lintSummary'],
  lintSummary: ['type', LintSummary],
};
