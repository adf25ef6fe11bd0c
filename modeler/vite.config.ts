/**
 * The UI bundle: `npm run build:ui` writes modeler/dist, which api/plugins/ui.ts serves at `/`.
 * The bpmnlint configuration is compiled into the bundle here (a virtual module), so the
 * browser lints with the same rules as `bpmnlint` on the command line, Camunda 8.8 included.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

const LINT_CONFIG = {
  extends: ['bpmnlint:recommended', 'plugin:camunda-compat/camunda-cloud-8-8'],
  rules: {
    // Herald's diagrams lay out start/end events freely; label rules are advisory there.
    'label-required': 'warn',
    'no-bpmndi': 'error',
  },
};

function bpmnlintConfig(): Plugin {
  const id = 'virtual:bpmnlint-config';
  return {
    name: 'herald-bpmnlint-config',
    resolveId: (source) => (source === id ? '\0' + id : undefined),
    async load(resolved) {
      if (resolved !== '\0' + id) return undefined;
      const compileConfig = require('bpmnlint/lib/support/compile-config.js') as (c: unknown) => Promise<string>;
      return compileConfig(LINT_CONFIG);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [bpmnlintConfig()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/health': 'http://localhost:3000' } },
});
