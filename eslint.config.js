// Lint: TypeScript-aware recommended rules; the UI bundle and generated output are skipped.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'modeler/dist/**', 'scratch/**', 'test-output/**', 'coverage/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // plain Node scripts (postinstall, the CLI shim) run without TypeScript's view of Node's globals
  { files: ['**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly', fetch: 'readonly', performance: 'readonly', setTimeout: 'readonly' } } },
  // DESIGN.md's layers and nevers: imports point down modeler · cli · api · workers · services ·
  // storage · engine port and tooling · domain · config, never up, and never into an engine adapter
  ...layers(),
);

function layers() {
  // DMN parsing (engine/embedded/dmn) is engine tooling, like engine/bpmn and engine/spec
  const adapters = ['**/engine/embedded/*.js', '**/engine/embedded/feel/**', '**/engine/zeebe/**'];
  const above = { api: '**/api/**', cli: '**/cli/**', workers: '**/workers/**', services: '**/services/**', storage: '**/storage/**', modeler: '**/modeler/**' };
  // one entry per folder: a later config's no-restricted-imports would replace an earlier one's
  const never = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  const rule = (group, message) => ({ group, message });
  const noAdapter = rule(adapters, 'use the engine port (engine/types.ts) and its tooling, never an adapter');
  return [
    never(['domain/**/*.ts'], [rule([...Object.values(above), '**/engine/**'], 'domain/ holds pure rules: it imports nothing above it')]),
    never(['api/routes/**/*.ts'], [noAdapter, rule([above.cli, above.modeler], 'routes sit below the CLI and the UI')]),
    never(['workers/**/*.ts'], [noAdapter, rule([above.api, above.cli, above.modeler], 'workers sit below the API')]),
    never(['services/**/*.ts'], [noAdapter, rule([above.api, above.cli, above.workers, above.modeler], 'services sit below the API and the workers')]),
    never(['storage/**/*.ts'], [noAdapter, rule([above.api, above.cli, above.workers, above.services, above.modeler], 'repositories sit below services and never drive the engine')]),
    never(['engine/embedded/**/*.ts'], [rule(['**/engine/zeebe/**', above.api, above.workers, above.services, above.cli], 'an adapter never imports the other adapter or anything above the engine')]),
    never(['engine/zeebe/**/*.ts'], [rule(['**/engine/embedded/*.js', '**/engine/embedded/feel/**', above.api, above.workers, above.services, above.cli], 'an adapter never imports the other adapter or anything above the engine')]),
    never(['modeler/src/**/*.ts'], [rule([above.api, above.workers, above.services, above.storage, '**/engine/**', '**/domain/**', '**/config/**'], 'the UI talks HTTP only: its API types come from the OpenAPI document')]),
  ];
}
