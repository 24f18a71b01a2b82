// How Parley runs in production: `node --import ./src/ts-register.mjs src/main.ts` (npm start, the Dockerfile).
// Registers the TypeScript hooks (ts-hooks.mjs) and turns on source maps for stack traces.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
