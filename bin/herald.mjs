#!/usr/bin/env node
// Launcher for `npx herald`: runs cli/herald.ts through tsx's loader (the sources are TypeScript).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/herald.ts');
process.exitCode = await main(process.argv.slice(2));
