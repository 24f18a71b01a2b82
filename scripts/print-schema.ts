// `npm run schema:print`: rewrites schema.graphql from the Pothos schema (a test fails when they differ).
import { writeFile } from 'node:fs/promises';
import { printedSchema } from '../src/graphql/schema.ts';

await writeFile(new URL('../schema.graphql', import.meta.url), printedSchema());
console.log('Wrote schema.graphql');
