// `npm install` builds the UI bundle so `npm start` serves it. A production install without dev
// dependencies has no vite: say so and leave the server to explain at `/`; a failing build fails.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('vite');
} catch {
  console.warn('herald: vite is not installed (production install?); the UI bundle is not built. Run `npm run build:ui` where dev dependencies are installed.');
  process.exit(0);
}
const run = spawnSync('npm', ['run', 'build:ui'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(run.status ?? 1);
