// How benchmark peers and load generators run their TypeScript: `node --import ./bench/lib/ts-register.mjs <file>.ts`
// (TS in proc.ts). Parley itself runs its ahead-of-time build (dist/, npm run build), as in production. Registers
// the TypeScript hooks (ts-hooks.mjs) and turns on source maps for stack traces.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
