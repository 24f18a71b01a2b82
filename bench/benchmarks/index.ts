// Every benchmark, in the order `npm run bench` runs them. A row not measurable yet is listed in `pending` so the
// runner and the README say so instead of leaving it out.
import type { BenchResult } from '../lib/results.ts';
import { httpTypename } from './http-typename.ts';
import { authMe } from './auth-me.ts';
import { wsMemory } from './ws-memory.ts';
import { signInBench } from './sign-in.ts';
import { historyPage } from './history-page.ts';
import { fanOut } from './fan-out.ts';
import { aiStreams } from './ai-streams.ts';
import { twoInstances } from './two-instances.ts';
import { search } from './search.ts';
import { upload } from './upload.ts';
import { largeGroup } from './large-group.ts';

export interface Benchmark {
  /** What `npm run bench -- <name>` selects. */
  name: string;
  /** The row of the targets table (bench/README.md). */
  row: string;
  title: string;
  run(opts: { quick: boolean }): Promise<BenchResult>;
}

export const benchmarks: Benchmark[] = [
  httpTypename,
  authMe,
  historyPage,
  fanOut,
  wsMemory,
  signInBench,
  search,
  twoInstances,
  aiStreams,
  upload,
  largeGroup,
];

export const pending: { row: string; what: string; needs: string }[] = [];
